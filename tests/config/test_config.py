"""Run configurations: every mistake names the file and the key; examples/ all pass; generated
malformed files never raise anything but ConfigError (hypothesis)."""

from __future__ import annotations

import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuserec.config import config_schema, load_config
from fuserec.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GOOD = '[data]\ndataset = "movietweetings-100k"\n[split]\nmethod = "temporal"\n[model]\nname = "ease"\n'

MISTAKES = [  # (file text, words the message must hold)
    ('[data]\ndatset = "ml-100k"\n[model]\nname = "ease"\n', ["'data.datset'", "did you mean 'dataset'"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n[splt]\nmethod = "random"\n', ["'splt'", "split"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n[split]\ntest_size = 1.5\n', ["'split.test_size'", "1"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n[split]\nmethod = "sideways"\n',
     ["'split.method'", "'temporal'"]),
    ('[data]\ndataset = "no-such-set"\n[model]\nname = "ease"\n', ["'data.dataset'", "unknown dataset"]),
    ('[data]\n[model]\nname = "ease"\n', ["'data'", "either dataset"]),
    ('[data]\ndataset = "ml-100k"\n', ["'model'", "required"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\nreg = "big"\n', ["[model]", "'reg'", "float", "'big'"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\nregg = 3\n', ["[model]", "'regg'", "did you mean"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "reranker"\n[model.retrievers.e]\nname = "ease"\nreg = -1\n',
     ["'retrievers'", "'reg'", "> 0"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "eas"\n', ["unknown model 'eas'"]),
    ('k = 0\n[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n', ["'k'", "at least 1"]),
    ('k = "ten"\n[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n', ["'k'"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n[output]\nrefit = "yes please"\n', ["'output.refit'"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\n[[data.item_text]]\npath = "x.csv"\n',
     ["'data.item_text", "required"]),
    ('[data\ndataset = "ml-100k"\n', ["not valid TOML", "line 1"]),
    ('[data]\ndataset = "ml-100k"\n[model]\nname = "ease"\nthreads = 0\n', ["[model]", "'threads'"]),
]


@pytest.mark.parametrize(("text", "words"), MISTAKES)
def test_a_config_mistake_names_the_file_and_the_key(tmp_path, text, words):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message, message
    for word in words:
        assert word in message, (word, message)


def test_encoder_and_time_rule_reach_nested_models(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[data]\ndataset = "movietweetings-100k"\n[split]\nmethod = "temporal-per-user"\n'
                    '[model]\nname = "reranker"\n[model.retrievers.t]\nname = "text-ease"\n[encoder]\nname = "e5"\n',
                    encoding="utf-8")
    spec = load_config(path).model_spec()
    assert spec["encoder"] == "e5" and spec["temporal"] == "per-user"
    assert spec["retrievers"]["t"] == {"name": "text-ease", "encoder": "e5", "temporal": "per-user"}


def test_every_example_passes_config_check():
    examples = sorted((ROOT / "examples").glob("*.toml"))
    assert len(examples) >= 4
    proc = subprocess.run([sys.executable, "-m", "fuserec.cli", "config", "check", *map(str, examples)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("ok:") == len(examples)


def test_schema_describes_the_tables():
    schema = config_schema()
    assert {"data", "split", "model", "encoder", "k", "output"} <= set(schema["properties"])


KEYS = st.text(string.ascii_lowercase + "_.", min_size=1, max_size=12)
VALUES = st.one_of(st.integers(-5, 5), st.floats(allow_nan=False, width=32), st.text(max_size=8), st.booleans(),
                   st.lists(st.integers(0, 3), max_size=3))


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(v, list):
        return "[" + ", ".join(map(_toml_value, v)) + "]"
    return repr(v) if not isinstance(v, float) or v == v else "nan"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(["data", "split", "model", "encoder", "output", ""]), key=KEYS, value=VALUES)
def test_generated_keys_and_values_raise_only_config_errors(tmp_path, table, key, value):
    path = tmp_path / "gen.toml"
    line = f"{key} = {_toml_value(value)}\n"
    text = GOOD
    text = (line + text) if table == "" else text.replace(f"[{table}]\n", f"[{table}]\n{line}", 1) \
        if f"[{table}]" in text else text + f"[{table}]\n{line}"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_generated_bytes_raise_only_config_errors(tmp_path, data):
    path = tmp_path / "bytes.toml"
    path.write_bytes(GOOD.encode() + data)
    try:
        load_config(path)
    except ConfigError as exc:
        assert str(path) in str(exc)


def test_the_demo_runs_the_example_configuration():
    from fuserec.demo import CONFIG

    assert CONFIG.read_text() == (ROOT / "examples" / "movies-sample.toml").read_text()
