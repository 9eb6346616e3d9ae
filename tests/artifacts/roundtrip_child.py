"""Run in a fresh process by test_artifacts: load artifacts with pickle made to raise, print their lists."""

import json
import pickle
import sys


def _refuse(*args, **kwargs):
    raise RuntimeError("pickle was used while loading an artifact")


pickle.load = pickle.loads = _refuse
pickle.Unpickler = _refuse  # type: ignore[assignment, misc]

import fuserec  # noqa: E402

request = json.loads(sys.stdin.read())
out = {}
for name, folder in request["artifacts"].items():
    trained = fuserec.load(folder)
    out[name] = [[[e["item"], e["score"]] for e in r["items"]] for r in trained.recommend_many(request["users"], 10)]
print(json.dumps(out))
