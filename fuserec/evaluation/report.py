"""A self-contained HTML report of benchmark rows: metric bars with confidence intervals per model and
slice, the popularity of what each model recommends, and a 2-D map of the items coloured by topic.

Plots are PNGs embedded as base64, so the file opens anywhere without a server or the internet.
Rows are the shared benchmark schema: ``{system, model, dataset, split, metrics, ci95, ...}``,
optionally with ``slice``, ``kind`` and ``uses_lm``.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fuserec.errors import UsageError
from fuserec.evaluation.metrics import lower_is_better

KIND_COLOURS = {"popularity": "#9e9e9e", "cf": "#1f77b4", "content": "#2ca02c", "fused": "#d62728"}


def _pyplot():
    """matplotlib's pyplot on the file-only Agg back end (no display needed)."""
    from fuserec._core.extras import require

    require("matplotlib", what="the HTML report's plots")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> str:
    plt = _pyplot()

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return f'<img alt="plot" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}">'


def _label(row: dict[str, Any]) -> str:
    system = row.get("system", "")
    encoder = f" [{row['encoder']}]" if row.get("encoder") and row["encoder"] not in row["model"] else ""
    return f"{row['model']}{encoder}" if system in ("", "fuserec") else f"{system}: {row['model']}{encoder}"


def metric_bars(rows: Sequence[dict[str, Any]], metric: str, title: str) -> str:
    """Horizontal bars of ``metric`` per model, confidence-interval whiskers, coloured by kind."""
    plt = _pyplot()

    rows = [r for r in rows if metric in r["metrics"]]
    if not rows:
        return ""
    rows = sorted(rows, key=lambda r: r["metrics"][metric], reverse=lower_is_better(metric))
    values = np.array([r["metrics"][metric] for r in rows])
    lo = np.array([r.get("ci95", {}).get(metric, [v, v])[0] for r, v in zip(rows, values, strict=True)])
    hi = np.array([r.get("ci95", {}).get(metric, [v, v])[1] for r, v in zip(rows, values, strict=True)])
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(rows) + 1.0))
    colours = [KIND_COLOURS.get(r.get("kind", ""), "#7f7f7f") for r in rows]
    ax.barh(range(len(rows)), values, xerr=[values - lo, hi - values], color=colours, capsize=3)
    ax.set_yticks(range(len(rows)), [_label(r) + (" ◆LM" if r.get("uses_lm") else "") for r in rows], fontsize=8)
    ax.set_xlabel(metric)
    ax.set_title(title, fontsize=10)
    for y, (v, top) in enumerate(zip(values, hi, strict=True)):
        ax.text(max(v, top), y, f" {v:.4f}", va="center", fontsize=7)
    return _png(fig)


def popularity_bars(rows: Sequence[dict[str, Any]], title: str) -> str:
    """Average training popularity (ARP) of the recommended items per model."""
    plt = _pyplot()

    keyed = [(r, next((k for k in r["metrics"] if k.startswith("arp@")), None)) for r in rows]
    keyed = [(r, k) for r, k in keyed if k]
    if not keyed:
        return ""
    keyed.sort(key=lambda rk: rk[0]["metrics"][rk[1]])
    fig, ax = plt.subplots(figsize=(7.5, 0.38 * len(keyed) + 1.0))
    ax.barh(range(len(keyed)), [r["metrics"][k] for r, k in keyed],
            color=[KIND_COLOURS.get(r.get("kind", ""), "#7f7f7f") for r, _ in keyed])
    ax.set_yticks(range(len(keyed)), [_label(r) for r, _ in keyed], fontsize=8)
    ax.set_xlabel(f"average train popularity of recommended items ({keyed[0][1]})")
    ax.set_title(title, fontsize=10)
    return _png(fig)


def topic_map(vectors: np.ndarray, labels: np.ndarray, words: Sequence[Sequence[str]], title: str) -> str:
    """Items projected to 2-D (PCA of their text vectors), coloured by topic, each topic named."""
    plt = _pyplot()
    from sklearn.decomposition import PCA

    xy = PCA(2, random_state=0).fit_transform(np.asarray(vectors, dtype=np.float64))
    fig, ax = plt.subplots(figsize=(8, 6.5))
    cmap = plt.get_cmap("tab20")
    ax.scatter(xy[:, 0], xy[:, 1], c=[cmap(t % 20) for t in labels], s=4, alpha=0.6)
    for t, w in enumerate(words):
        members = labels == t
        if members.any():
            cx, cy = xy[members].mean(axis=0)
            ax.text(cx, cy, ", ".join(w[:3]), fontsize=7, ha="center",
                    bbox={"facecolor": "white", "alpha": 0.7, "lw": 0})
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    return _png(fig)


def _table(rows: Sequence[dict[str, Any]], metrics: Sequence[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in ("model", "kind", "LM", *metrics, "fit s"))
    body = []
    for r in rows:
        cells = [html.escape(_label(r)), html.escape(str(r.get("kind", ""))), "yes" if r.get("uses_lm") else ""]
        for m in metrics:
            v = r["metrics"].get(m)
            ci = r.get("ci95", {}).get(m)
            cells.append("" if v is None else f"{v:.4f}" + (f" ±{(ci[1] - ci[0]) / 2:.4f}" if ci else ""))
        cells.append(f"{r.get('fit_seconds', 0.0):.1f}")
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def write_report(rows: Sequence[dict[str, Any]], path: str | Path, *, title: str = "fuserec report",
                 metrics: Sequence[str] | None = None, notes: Sequence[str] = (),
                 item_map: tuple[np.ndarray, np.ndarray, Sequence[Sequence[str]]] | None = None) -> Path:
    """Write one HTML file: per (dataset, slice) a table and metric bars; popularity bars; the topic map.

    ``metrics``: which to plot (default: ndcg@10 and recall@20 for ranking rows, rmse for rating
    rows). ``item_map``: (item vectors, topic label per item, words per topic) for the 2-D map.
    """
    if not rows:
        raise UsageError("no rows to report")
    sections = []
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["dataset"], r.get("slice") or r["split"]), []).append(r)
    for (dataset, part), group in groups.items():
        names = list(metrics) if metrics else [m for m in ("ndcg@10", "recall@20", "rmse", "mae")
                                               if any(m in r["metrics"] for r in group)]
        names = [m for m in names if any(m in r["metrics"] for r in group)] or list(group[0]["metrics"])[:3]
        split = group[0]["split"]
        plots = "".join(metric_bars(group, m, f"{dataset} · {part} · {m} (95% CI)") for m in names)
        pop = popularity_bars(group, f"{dataset} · {part}: popularity of what is recommended")
        sections.append(f"<h2>{html.escape(dataset)} · {html.escape(part)}</h2><p>split: {html.escape(split)}</p>"
                        f"{_table(group, names)}<div>{plots}{pop}</div>")
    if item_map is not None:
        sections.append("<h2>Items by topic</h2>" + topic_map(*item_map, "items, PCA of their text vectors, "
                                                                          "coloured by topic"))
    note_html = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    legend = " ".join(f'<span style="color:{c}">■ {k}</span>' for k, c in KIND_COLOURS.items())
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:auto}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}td:first-child{{text-align:left}}
img{{max-width:100%;margin:6px 0}}</style></head><body><h1>{html.escape(title)}</h1>
<p>Colours by kind: {legend}; ◆LM marks rows that use a language model.</p><ul>{note_html}</ul>
{''.join(sections)}</body></html>"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)
    return path
