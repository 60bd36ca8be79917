# The two commands: `make run` serves the app with a worker, `make test` runs the suite.
# Both install what they need first (apt packages that are missing, then pip into .venv).

PYTHON ?= $(shell scripts/find-python)
VENV := .venv
STAMP := $(VENV)/.requirements-installed

.PHONY: run test test-scale setup apt lint bench

run: setup
	scripts/run

test: setup
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# The scale profile: PostgreSQL, Redis and S3 (moto's server), two workers, over HTTP.
test-scale: setup
	scripts/apt-deps postgresql redis-server
	scripts/scale-services
	$(VENV)/bin/python -m pytest -m scale tests/scale $(PYTEST_ARGS)

setup: apt $(STAMP)

apt:
	scripts/apt-deps $(APT_EXTRA)

$(STAMP): requirements.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements.txt
	touch $(STAMP)

# Style, then the apps' layers: an app imports only the ones below it (pyproject.toml [tool.importlinter]).
lint: setup
	$(VENV)/bin/ruff format --check . && $(VENV)/bin/ruff check . && $(VENV)/bin/lint-imports

# Benchmarks write bench/results.json; QUICK=1 shrinks every workload.
bench: setup
	$(VENV)/bin/python bench/run.py $(if $(QUICK),--quick,)
