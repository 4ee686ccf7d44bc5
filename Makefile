# Observatoire des coopérations interterritoriales — the two commands are `make run` and `make test`.
SHELL := /bin/bash
export PYTHONPATH := $(CURDIR)
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB ?= data/observatoire.duckdb
PORT ?= 8501

.PHONY: run test install install-dev browser browser-optional db data bench lint serve clean flowmap

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Debian's Chromium (real-browser tests), poppler (PDF checks), nginx (production set-up test) and
# PostgreSQL (the optional catalogue server: its test starts a real one).
browser:
	@{ command -v chromium && command -v pdftoppm && { command -v nginx || test -x /usr/sbin/nginx; } && \
	  ls /usr/lib/postgresql/*/bin/initdb; } >/dev/null 2>&1 || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils nginx-light postgresql >/dev/null; }

# For run: Chromium renders chart images server-side (PNG/SVG); the app works without it.
browser-optional:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq chromium poppler-utils >/dev/null; } || \
	  echo "Chromium absent : l'export d'images PNG/SVG côté serveur sera indisponible."

$(DB): $(VENV)/.installed
	$(PY) -m observatoire build

db: $(DB)

## make run: install, build the store if missing, start the observatory on http://localhost:$(PORT)
run: $(VENV)/.installed browser-optional $(DB)
	$(PY) -m observatoire.ui.serve --server.port $(PORT)

## make test: install, lint (ruff check + format check), then the whole test suite (unit, AppTest,
## real browser); a lint error fails it before any test runs, and so does "no test collected" (5).
test: $(VENV)/.installed-dev browser
	$(VENV)/bin/ruff check observatoire tests app.py pages bench tools
	$(VENV)/bin/ruff format --check observatoire tests app.py pages bench tools
	$(PY) -m pytest -q tests

## make flowmap: rebuild the flow map component (frontend/flowmap → observatoire/ui/components/flowmap,
## committed) from its lock file; needs node ≥ 20 and the npm registry. tests/test_flowmap_build.py checks it.
flowmap:
	cd frontend/flowmap && npm ci --no-audit --no-fund && npm run build

## make data: regenerate the shipped files of data/ from ../shared/data/raw and the registries
data: $(VENV)/.installed
	$(PY) -m observatoire prepare

## make serve: production — app replicas on loopback behind nginx on :8080 (REPLICAS=n; health: /sante, logs in logs/)
serve: $(VENV)/.installed $(DB)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null; }
	$(PY) -m observatoire.serve_prod --port 8080 $(if $(REPLICAS),--replicas $(REPLICAS))

bench: $(VENV)/.installed-dev $(DB)
	for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check observatoire tests app.py pages bench tools
	$(VENV)/bin/ruff format --check observatoire tests app.py pages bench tools

clean:
	rm -rf $(VENV) $(DB) .pytest_cache artifacts
