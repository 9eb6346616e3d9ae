"""Every model by name; parameters checked (type, range, unknown names) from -m and from code."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys

import pytest

import fuserec
from fuserec.errors import ParamError
from fuserec.models.base import Recommender
from fuserec.registry import CLASSES, PRESETS, build_model, canonical_name, describe, names


def concrete_recommenders() -> set[type]:
    for info in pkgutil.walk_packages(fuserec.__path__, "fuserec."):
        importlib.import_module(info.name)
    found, todo = set(), [Recommender]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if not inspect.isabstract(sub) and sub.__module__.startswith("fuserec."):
                found.add(sub)
    return found


def test_every_concrete_recommender_has_one_canonical_name():
    classes = concrete_recommenders()
    assert len(classes) >= 22
    missing = {c.__name__ for c in classes} - {c.__name__ for c in CLASSES.values()}
    assert not missing, f"not registered: {sorted(missing)}"
    assert len(set(CLASSES.values())) == len(CLASSES)  # one name per class
    for name, preset in PRESETS.items():
        assert describe(name)["preset_of"] == canonical_name(preset.cls)


def test_models_json_lists_every_class_with_typed_params():
    proc = subprocess.run([sys.executable, "-m", "fuserec.cli", "models", "--json"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert {r["class"].rsplit(".", 1)[1] for r in rows} >= {c.__name__ for c in concrete_recommenders()}
    fused = {r["name"] for r in rows if r["uses_lm"]}
    assert {"reranker", "neural-hybrid", "text-mapped-factors", "text-ease", "semantic-profile",
            "text-trend", "text-regularized-als"} <= fused
    for r in rows:
        assert set(r) >= {"name", "class", "task", "summary", "uses_lm", "params"}
        for p in r["params"]:
            assert set(p) >= {"name", "type", "default", "allowed"}
    ease = next(r for r in rows if r["name"] == "ease")
    assert {"name": "reg", "type": "float", "default": 300.0, "allowed": "> 0"}.items() <= ease["params"][0].items()
    one = subprocess.run([sys.executable, "-m", "fuserec.cli", "models", "reranker", "--json"], capture_output=True,
                         text=True, timeout=120)
    assert json.loads(one.stdout)["name"] == "reranker"


MISTAKES = [  # (spec, words the message must hold)
    ("ease:reg=abc", ["'ease'", "'reg'", "float", "'abc'"]),
    ("ease:reg=-5", ["'ease'", "'reg'", "> 0", "-5"]),
    ("ease:regg=3", ["'ease'", "'regg'", "did you mean 'reg'"]),
    ("als:factors=2.5", ["'als'", "'factors'", "int", "2.5"]),
    ("als:factors=0", ["'als'", "'factors'", "≥ 1"]),
    ("itemknn:similarity=jaccard", ["'itemknn'", "'similarity'", "'cosine'", "'bm25'"]),
    ("neural-hybrid:loss=hinge", ["'neural-hybrid'", "'loss'", "'softmax'"]),
    ("reranker:val_size=1.5", ["'reranker'", "'val_size'", "< 1"]),
    ("reranker:temporal=maybe", ["'reranker'", "'temporal'", "'per-user'"]),
    ("text-ease:power=0", ["'text-ease'", "'power'", "≥ 1"]),
    ("mf:lr_decay=2", ["'mf'", "'lr_decay'", "≤ 1"]),
    ("popularity:damping=[1]", ["'popularity'", "'damping'", "float"]),
    ("eas", ["unknown model 'eas'", "did you mean 'ease'"]),
    ("ease:reg=1,reg=2", ["'reg'", "twice"]),
    ("ease:reg", ["'reg'", "key=value"]),
]


@pytest.mark.parametrize(("spec", "words"), MISTAKES)
def test_a_bad_model_parameter_names_model_parameter_and_expectation(spec, words):
    with pytest.raises(ParamError) as info:
        build_model(spec)
    for word in words:
        assert word in str(info.value), (spec, str(info.value))


def test_nested_models_are_checked_and_named():
    with pytest.raises(ParamError, match=r"'reranker'.*'retrievers'.*'ease'.*'reg'"):
        build_model({"name": "reranker", "retrievers": {"ease": {"name": "ease", "reg": "x"}}})
    model = build_model({"name": "reranker", "retrievers": {"e": {"name": "ease", "reg": 100}, "p": "popularity"}})
    assert model.retrievers["e"].reg == 100.0 and type(model.retrievers["p"]).__name__ == "Popularity"


def test_fit_checks_parameters_set_in_python(sample):
    from fuserec.models import EASE

    with pytest.raises(ParamError, match="'reg'"):
        EASE(reg="abc").fit(sample)


def test_cli_bad_parameter_is_an_error_not_a_traceback():
    proc = subprocess.run([sys.executable, "-m", "fuserec.cli", "evaluate", "-d", "movietweetings-100k", "-m",
                           "ease:reg=abc"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "'reg'" in proc.stderr and "'abc'" in proc.stderr


def test_registry_names_and_specs_round_trip():
    from fuserec.registry import to_spec

    for name in names():
        model = build_model(name)
        again = build_model(to_spec(model))
        assert type(again) is type(model)
        assert repr(again.get_params(deep=False)) == repr(model.get_params(deep=False)), name
