# Two commands for a newcomer: `make run` and `make test`. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
FLASK := $(VENV)/bin/flask --app app

.PHONY: run test static lint translations bench bench-pages bench-planning clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

## make run: the embedded default — SQLite, embedded broker, mail to instance/outbox/; web + worker + beat; Ctrl-C stops all.
run: $(VENV)/.runtime
	mkdir -p instance
	TILLSYN_ENV=development $(FLASK) db upgrade
	TILLSYN_ENV=development $(FLASK) demo-data
	TILLSYN_ENV=development $(PY) scripts/run_embedded.py

# axe-core for the browser tests' accessibility checks; skipped without npm (the browser tests then skip locally).
node_modules/.installed: package.json package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; fi

# pytest-xdist: one worker process per core, each with its own database and Redis database (tests/conftest.py);
# whole files go to one worker, so module-scoped fixtures (the fault tests' Celery workers) start once.
# `make test PYTEST_XDIST=` runs in one process.
PYTEST_XDIST ?= -n auto --dist loadfile

## make static: bundle the tablet's offline scripts (assets/js with Workbox and idb, from npm) into app/static/dist.
# The bundle is committed, so `make run` needs no Node.js; without npm the committed bundle is used as it is.
static: node_modules/.installed
	if command -v npm >/dev/null 2>&1; then npm run build; fi

## make test: the whole suite on SQLite, and again on PostgreSQL + Redis when TEST_DATABASE_URL is set (CI sets it).
test: $(VENV)/.dev node_modules/.installed static
	$(VENV)/bin/ruff check app workers tests
	$(VENV)/bin/mypy app workers
ifdef TEST_DATABASE_URL
	TEST_DB=sqlite $(PY) -m pytest $(PYTEST_XDIST) -m "not browser and not faults" -q
	TEST_DB=postgres $(PY) -m pytest $(PYTEST_XDIST) -q
else
	TEST_DB=sqlite $(PY) -m pytest $(PYTEST_XDIST) -q
endif

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check app workers tests
	$(VENV)/bin/ruff format --check app workers tests
	$(VENV)/bin/mypy app workers

## make translations: extract strings, update the catalogs, compile them (compiled catalogs are committed).
translations: $(VENV)/.dev
	$(VENV)/bin/pybabel extract --ignore-dirs=".* .venv node_modules test-artifacts instance" -F babel.cfg -k _l -k lazy_gettext -k lazy_pgettext:1c,2 -o app/translations/messages.pot --no-location --sort-output --project "Lärande tillsyn" .
	$(VENV)/bin/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching --ignore-obsolete
	$(PY) scripts/fill_english_catalog.py app/translations/en/LC_MESSAGES/messages.po
	$(VENV)/bin/pybabel compile -d app/translations

## make bench: the trust benchmark on PostgreSQL (BENCH_DATABASE_URL; it drops and creates that database).
BENCH_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_trust
bench: $(VENV)/.runtime
	$(PY) scripts/bench_trust.py --database-url $(BENCH_DATABASE_URL)

## make bench-pages: every main page at SMALL and LARGE on PostgreSQL (drops and creates bench_small, bench_large).
BENCH_BASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/
bench-pages: $(VENV)/.runtime
	$(PY) scripts/bench_pages.py --base-url $(BENCH_BASE_URL)

## make bench-planning: planning, search and the lists at 2,000 units and 50,000 visits on PostgreSQL (not a test).
BENCH_PLANNING_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_planning
bench-planning: $(VENV)/.runtime
	$(PY) scripts/bench_planning.py --database-url $(BENCH_PLANNING_DATABASE_URL)

clean:
	rm -rf $(VENV) instance .pytest_cache
