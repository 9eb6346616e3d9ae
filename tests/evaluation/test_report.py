"""The HTML report: self-contained (plots embedded), one section per dataset and slice, names escaped."""

from __future__ import annotations

import base64
import re

import numpy as np
import pytest

from fuserec.evaluation.report import write_report


def rows():
    out = []
    for slice_name in ("overall", "cold-items"):
        for model, kind, lm, v in (("EASE", "cf", False, 0.44), ("re-ranker <LM>", "fused", True, 0.46)):
            out.append({"system": "fuserec", "model": model, "dataset": "ml-100k", "split": "random", "fold": None,
                        "slice": slice_name, "kind": kind, "uses_lm": lm, "fit_seconds": 1.0,
                        "metrics": {"ndcg@10": v, "recall@20": v / 2, "arp@20": 100 * v},
                        "ci95": {"ndcg@10": [v - 0.01, v + 0.01]}})
    return out


def test_report_embeds_plots_and_escapes(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(60, 8))
    labels = np.repeat(np.arange(3), 20)
    path = write_report(rows(), tmp_path / "sub" / "r.html", title="t & t",
                        item_map=(vectors, labels, [["a"], ["b"], ["c"]]))
    html = path.read_text()
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    # per slice: ndcg@10 and recall@20 bars + popularity bars; then the topic map
    assert len(images) == 2 * 3 + 1
    assert all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert html.count("<h2>") == 3 and "ml-100k · cold-items" in html
    assert "re-ranker &lt;LM&gt;" in html and "<LM>" not in html and "t &amp; t" in html
    assert "http" not in html.replace("http-equiv", "")  # nothing fetched from elsewhere
    assert not list(tmp_path.glob("sub/*.tmp"))


def test_report_needs_rows(tmp_path):
    with pytest.raises(ValueError, match="no rows"):
        write_report([], tmp_path / "r.html")
    assert not (tmp_path / "r.html").exists()
