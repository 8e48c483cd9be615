# Two commands do everything on a fresh machine:
#   make run   — install, migrate, seed the demo district (published logins: a demo, never
#                production), start web + Celery worker + beat
#   make test  — install (incl. Chromium for browser tests) and run the whole suite
# Production: README › Deploy (gunicorn + systemd units under deploy/); `make smoke` runs it.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_ORDERS ?= 600

.PHONY: run test deps browser-deps lint format migrate seed bench bench-deps smoke requirements-check collectstatic clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: $(wildcard package.json package-lock.json)
	@if [ -f package.json ]; then npm ci --no-audit --no-fund --loglevel=error; fi
	@mkdir -p node_modules && touch $@

deps: $(BIN)/.installed node_modules/.installed

# Debian's Chromium (Playwright's own browser download is not reachable from here).
# Without root it cannot be installed: the browser tests are then skipped with a message,
# except under CI=true, where they fail (web/tests/conftest.py).
browser-deps:
	@if command -v chromium >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else \
	  echo "browser-deps: Chromium is missing and installing it needs root (sudo apt-get install chromium fonts-noto-cjk); the browser tests will be skipped$$( [ "$$CI" = true ] && echo ' — and fail, as CI=true')." >&2; \
	fi

# The demo: DEBUG=1, the demo district and its published logins (DEMO_ORDERS=3000 for a
# fuller history; 600 take a fifth of the time 3,000 did).
run: deps
	DEMO_ORDERS=$(DEMO_ORDERS) $(BIN)/python scripts/runall.py --demo --host $(HOST) --port $(PORT)

test: deps browser-deps
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Then the type check (pyproject.toml [tool.mypy]: the core apps, non-strict). The
# django-stubs plugin imports the settings, hence DEBUG=1 (the development defaults).
lint: deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=1 $(BIN)/mypy

format: deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: deps
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate

seed: deps
	DEBUG=1 $(BIN)/python manage.py seed_demo --orders $(DEMO_ORDERS)

# make bench BENCH=core_workflow ARGS="--orders 300" — one script under bench/ (BENCHMARKS.md).
# Debian's wrk drives the HTTP benches (api_intake, intake_ratio, memory_rss, system_load).
bench-deps:
	@if command -v wrk >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else echo "bench-deps: wrk is missing and installing it needs root (sudo apt-get install wrk)" >&2; fi

bench: deps bench-deps
	@if [ -z "$(BENCH)" ]; then echo "usage: make bench BENCH=<name> [ARGS=...]; one of:" $$(ls bench/*.py | xargs -n1 basename | sed 's/\.py$$//' | grep -v '_common\|_settings\|_urls'); exit 2; fi
	$(BIN)/python bench/$(BENCH).py $(ARGS)

collectstatic: deps
	$(BIN)/python manage.py collectstatic --noinput -v 0

# The production profile from this checkout: gunicorn (DEBUG=0) + worker + beat on
# PostgreSQL and Redis, static files, /readyz, a call logged and routed (deploy/smoke.py).
smoke: deps
	$(BIN)/python deploy/smoke.py

# requirements.txt alone (no dev packages) in a fresh venv can queue a task to Redis.
requirements-check:
	bash deploy/requirements_check.sh

clean:
	rm -rf var/broker var/celerybeat-schedule*
