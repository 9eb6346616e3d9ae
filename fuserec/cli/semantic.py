"""``fuserec semantic``: encode item text, search it, and read its keywords and topics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.table import Table

from fuserec.cli.common import DataDirOpt, literal, out, reported
from fuserec.data import Dataset, load_dataset

app = typer.Typer(help="Language-model semantics: encode, search, keywords, topics.", no_args_is_help=True)
EncoderOpt = Annotated[str, typer.Option(help="minilm, int8, e5 (multilingual), tfidf, or auto (e5 for Chinese "
                                                 "text).")]


def _semantic_dataset(dataset: str, data_dir: Path | None) -> Dataset:
    with reported():
        return load_dataset(dataset, data_dir)


@app.command("similar")
def semantic_similar(
    item: Annotated[str | None, typer.Option(help="An item id or exact title: find items like it.")] = None,
    text: Annotated[str | None, typer.Option(help="Free text in any language: find items matching it.")] = None,
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, k: Annotated[int, typer.Option(help="How many results.")] = 10,
    encoder: EncoderOpt = "auto",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON results instead of a table.")] = False,
) -> None:
    """Items nearest to an item or to free text, by their text's embedding (cached)."""
    import json

    from fuserec.semantic import SemanticIndex
    from fuserec.semantic.search import encoder_for

    if (item is None) == (text is None):
        raise typer.BadParameter("give either --item or --text")
    ds = _semantic_dataset(dataset, data_dir)
    index = SemanticIndex(ds, encoder_for(text, encoder), show_progress=not json_out)
    if item is not None:
        with reported():
            key = literal(item) if literal(item) in ds.items else index.find_item(item)
        hits = index.similar_to_item(key, k)
    else:
        hits = index.search(text, k)  # type: ignore[arg-type]
    if json_out:
        print(json.dumps({"results": [{"item_id": h.item_id.item() if hasattr(h.item_id, "item") else h.item_id,
                                       "title": h.title, "score": round(h.score, 6)} for h in hits]},
                         ensure_ascii=False))
        return
    t = Table("#", "item", "title", "score", title=f"{ds.name} · {index.encoder.id} · "
                                                   f"{'like ' + repr(item) if item else repr(text)}")
    for rank, h in enumerate(hits, start=1):
        t.add_row(str(rank), str(h.item_id), h.title, f"{h.score:.3f}")
    out.print(t)


@app.command("quantize")
def semantic_quantize(
    output: Annotated[Path | None, typer.Option(help="Where to write the model (default: the cache).")] = None,
) -> None:
    """Build our int8 ONNX encoder: export all-MiniLM-L6-v2, int8 weights per channel."""
    import time

    from fuserec.semantic.onnx_int8 import build

    start = time.perf_counter()
    path = build(output)
    out.print(f"int8 encoder written to {path} ({path.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - start:.1f} s; use it with --encoder int8")


@app.command("encode")
def semantic_encode(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, encoder: EncoderOpt = "minilm",
    output: Annotated[Path | None, typer.Option(help="Write item ids and vectors here (.npz).")] = None,
) -> None:
    """Encode every item's text into the cache (and optionally a .npz file)."""
    import time

    from fuserec.semantic import SemanticIndex

    ds = _semantic_dataset(dataset, data_dir)
    start = time.perf_counter()
    index = SemanticIndex(ds, encoder if encoder != "auto" else "minilm")
    seconds = time.perf_counter() - start
    encoded = getattr(index.encoder, "last_encoded", len(index.texts))
    out.print(f"{ds.name}: {len(index.texts):,} item texts, {encoded:,} newly encoded with {index.encoder.id} "
              f"in {seconds:.1f} s (the rest from the cache); dim {index.vectors.shape[1]}")
    if output is not None:
        np.savez_compressed(output, item_ids=np.asarray(ds.items.ids, dtype=object).astype(str),
                            vectors=index.vectors)
        out.print(f"vectors written to {output}")


@app.command("keywords")
def semantic_keywords(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, encoder: EncoderOpt = "minilm",
    item: Annotated[list[str] | None, typer.Option(help="Item ids or titles (default: the 5 most rated).")] = None,
    k: Annotated[int, typer.Option(help="Keywords per item.")] = 5,
) -> None:
    """KeyBERT keywords (MMR-diversified) of item texts, beside the TF-IDF baseline's."""
    from fuserec.semantic import SemanticIndex
    from fuserec.semantic.keywords import extract_keywords, tfidf_keywords

    ds = _semantic_dataset(dataset, data_dir)
    index = SemanticIndex(ds, encoder if encoder != "auto" else "minilm")
    if item:
        with reported():
            idx = [int(ds.items.to_index(literal(i))) if literal(i) in ds.items
                   else int(ds.items.to_index(index.find_item(i))) for i in item]
    else:
        idx = list(np.argsort(-ds.item_counts(), kind="stable")[:5])
    texts = [index.texts[i] for i in idx]
    lm = extract_keywords(texts, index.encoder, top_n=k)
    base = tfidf_keywords(texts, top_n=k, corpus=index.texts)
    t = Table("item", f"language model ({index.encoder.id})", "TF-IDF", title=f"{ds.name} keywords")
    for i, a, b in zip(idx, lm, base, strict=True):
        t.add_row(ds.item_titles([i])[0], ", ".join(a), ", ".join(b))
    out.print(t)


@app.command("topics")
def semantic_topics(
    dataset: Annotated[str, typer.Option("--dataset", "-d", help="Dataset name.")] = "ml-100k",
    data_dir: DataDirOpt = None, encoder: EncoderOpt = "minilm",
    n: Annotated[int, typer.Option(help="Number of topics.")] = 12,
) -> None:
    """Cluster item vectors into topics and name each by its c-TF-IDF words."""
    from fuserec.semantic import SemanticIndex
    from fuserec.semantic.topics import fit_topics

    ds = _semantic_dataset(dataset, data_dir)
    index = SemanticIndex(ds, encoder if encoder != "auto" else "minilm")
    topics = fit_topics(index.vectors, index.texts, n)
    sizes = np.bincount(topics.labels, minlength=n)
    t = Table("topic", "items", "words", "examples", title=f"{ds.name}: {n} topics ({index.encoder.id})")
    for j in np.argsort(-sizes):
        examples = ds.item_titles(np.flatnonzero(topics.labels == j)[:3])
        t.add_row(str(j), str(sizes[j]), ", ".join(topics.words[j]), "; ".join(examples))
    out.print(t)
