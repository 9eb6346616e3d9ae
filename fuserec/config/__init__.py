"""Typed run configuration in TOML: data, split, model, encoder, k, output.

A run configuration says everything ``fuserec train`` and ``fuserec evaluate --config`` need::

    [data]
    dataset = "ml-latest-small"                    # or interactions = "events.csv", with [data.columns]

    [data.events]                                  # what the service collected (optional)
    store = "runs/mls/events.sqlite"               # or "postgresql://..."

    [[data.item_text]]                             # more item text, joined by a key
    path = "{data_dir}/tmdb-overviews/overviews.csv"
    key = "tmdbId"
    columns = ["overview"]
    via = { path = "{dataset_dir}/links.csv", from = "movieId", to = "tmdbId" }

    [split]
    method = "temporal"
    test_size = 0.2

    [model]
    name = "reranker"
    [model.retrievers.ease]
    name = "ease"
    reg = 300.0

    [encoder]
    name = "minilm"

    k = [10]                                       # (top level, before the tables)

Paths are relative to the configuration file; ``{data_dir}`` is the datasets folder
(``data.data_dir``, else ``$FUSEREC_DATA_DIR``) and ``{dataset_dir}`` the named dataset's own
folder. The encoder is given to every model (nested ones too) that reads text and does not name
its own; a model that searches its settings on validation takes ``temporal`` from the split, so
its validation mirrors the test. Every mistake is a ``ConfigError`` naming the file, the key
and what was expected.
"""

from fuserec.config.loading import join_item_text, load_data, split_data
from fuserec.config.schema import (
    ColumnsConfig,
    DataConfig,
    EncoderConfig,
    EventsConfig,
    ItemTextConfig,
    MappingTable,
    OutputConfig,
    RunConfig,
    SplitConfig,
    config_schema,
    load_config,
    parse_config,
)

__all__ = [
    "ColumnsConfig",
    "DataConfig",
    "EncoderConfig",
    "EventsConfig",
    "ItemTextConfig",
    "MappingTable",
    "OutputConfig",
    "RunConfig",
    "SplitConfig",
    "config_schema",
    "join_item_text",
    "load_config",
    "load_data",
    "parse_config",
    "split_data",
]
