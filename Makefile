# Bimtek Halal — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 4
export FLASK_APP := app.py

.PHONY: run test lint translations i18n setup setup-dev chromium bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

setup: $(VENV)/.installed translations

setup-dev: $(VENV)/.installed-dev translations

translations: | $(BIN)/activate
	@$(BIN)/pybabel compile -f -d translations >/dev/null

## make i18n: refresh the catalogues after adding strings
i18n: | $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --ignore-dirs='.venv instance tests bench' .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching

## make run: set up, migrate, load the demo, print the demo sign-ins and serve on http://$(HOST):$(PORT)
run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@echo ""
	@echo "Demo sign-ins (demo only; refused in production):"
	@$(BIN)/flask demo accounts
	@echo ""
	@echo "Serving Bimtek Halal on http://$(HOST):$(PORT)"
	$(BIN)/gunicorn --workers $(WORKERS) --threads 2 --bind $(HOST):$(PORT) --access-logfile - 'app:create_app()'

chromium:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium is missing; run 'sudo apt-get install chromium' (browser tests will fail)"; fi; \
	fi

lint: setup-dev
	$(BIN)/ruff check .

## make test: set up, lint, run the whole suite (its last line is pytest's summary)
test: setup-dev chromium
	$(BIN)/ruff check .
	$(BIN)/pytest

## make bench: load and scale benchmarks against a bare Flask baseline (not part of make test; ~15 min,
## BENCH_QUICK=1 for a 2-3 minute smoke run); writes bench/RESULTS.md and bench/out/
bench: setup-dev
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian wrk for the benchmarks"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } || true; \
	  else echo "wrk is missing ('sudo apt-get install wrk'): using the slower Python load generator"; fi; }
	$(BIN)/python -m bench.run

.PHONY: cluster-test
## make cluster-test: two PostgreSQL-backed instances behind Debian's nginx (loopback) with Redis limits:
## shared sessions, logout, rate limit, attempts across instances, kill -9 failover, 1 vs 2 instances
cluster-test: setup-dev
	@{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } && command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian nginx-light and wrk for the cluster test"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null 2>&1 || \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light wrk >/dev/null; }; \
	  else echo "nginx or wrk is missing: run 'sudo apt-get install nginx-light wrk'"; exit 1; fi; }
	$(BIN)/python -m bench.cluster_test

clean:
	rm -rf $(VENV) .ruff_cache test-artifacts
