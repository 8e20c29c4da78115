# `make run` and `make test` do all set-up on a fresh machine (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint warm bench install install-dev chromium axe haproxy redis serve clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

run: install
	$(PY) -m streamlit run app.py --server.port $(PORT)

chromium: install-dev
	bash scripts/ensure_chromium.sh $(PY)

axe:
	bash scripts/ensure_axe.sh

haproxy:
	bash scripts/ensure_haproxy.sh

redis:
	bash scripts/ensure_redis.sh

serve: install haproxy
	$(PY) -m annlab serve --replicas $(or $(REPLICAS),2) --port $(PORT)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: install-dev chromium axe haproxy redis lint
	$(PY) -m pytest

warm: install
	$(PY) -m annlab warm

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b | tail -n 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
