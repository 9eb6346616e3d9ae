"""Item text for the language model: per-dataset templates over the item table's fields."""

from __future__ import annotations

import re

import pandas as pd

from fuserec.data.dataset import Dataset

# field, label ('' = no label); '|'-separated values become comma lists
TEMPLATES: dict[str, list[tuple[str, str]]] = {
    "movies": [("title", ""), ("genres", "Genres"), ("tags", "Tags")],
    "books": [("title", ""), ("authors", "by"), ("tags", "Shelves")],
    "amazon": [("title", ""), ("category", "Category"), ("brand", "Brand"), ("description", ""),
               ("reviews", "Reviews")],
    "music": [("title", "Artist")],
    "news": [("title", ""), ("category", "Category"), ("subcategory", ""), ("abstract", "")],
}
DATASET_TEMPLATE = {"ml-": "movies", "movietweetings": "movies", "goodbooks": "books", "amazon": "amazon",
                    "lastfm": "music", "mind": "news"}
MAX_CHARS = 1000
# the templates' labels: stop words for keyword and topic extraction
TEMPLATE_WORDS = {label.lower() for fields in TEMPLATES.values() for _, label in fields if label} | {"genres", "tags"}


def template_for(ds: Dataset) -> list[tuple[str, str]]:
    for prefix, name in DATASET_TEMPLATE.items():
        if ds.name.startswith(prefix):
            return TEMPLATES[name]
    return [(c, c.replace("_", " ").capitalize()) for c in ds.item_table.columns if c != "id"]


def item_texts(ds: Dataset, template: list[tuple[str, str]] | None = None) -> list[str]:
    """One text per item index: the template's non-empty fields, labelled, joined by '. '.

    ``template``: ``[(field, label), ...]``; default by dataset name (movies, books, Amazon,
    music, news), else every column of the item table. Items without text get their id.
    """
    table = ds.item_table
    template = list(template or template_for(ds))
    template += [f for f in ds.text_fields if f not in template]
    parts = []
    for field, label in template:
        if field not in table.columns:
            continue
        values = table[field].astype("string").fillna("").str.replace("|", ", ", regex=False).str.strip()
        prefix = f"{label}: " if label and label != "by" else ("by " if label == "by" else "")
        parts.append(values.where(values == "", prefix + values))
    if not parts:
        return [str(i) for i in ds.items.ids]
    joined = pd.concat(parts, axis=1).apply(lambda row: ". ".join(v for v in row if v), axis=1)
    ids = pd.Series([str(i) for i in ds.items.ids], index=joined.index)
    text = joined.where(joined != "", ids)
    return [re.sub(r"\s+", " ", t)[:MAX_CHARS] for t in text.tolist()]
