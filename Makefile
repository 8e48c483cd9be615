# Two commands do everything on a fresh machine:
#   make run   — install, migrate, seed the demo district, start web + Celery worker + beat
#   make test  — install (incl. Chromium for browser tests) and run the whole suite
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test deps browser-deps lint format migrate seed bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: $(wildcard package.json package-lock.json)
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	@mkdir -p node_modules && touch $@

deps: $(BIN)/.installed node_modules/.installed

# Debian's Chromium (Playwright's own browser download is not reachable from here).
browser-deps:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

run: deps
	$(BIN)/python scripts/runall.py --host $(HOST) --port $(PORT)

test: deps browser-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: deps
	$(BIN)/python manage.py migrate

seed: deps
	$(BIN)/python manage.py seed_demo

clean:
	rm -rf var/broker var/celerybeat-schedule*
