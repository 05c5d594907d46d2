# Every install step lives here and in pyproject.toml / requirements.lock.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run demo test test-fast lint typecheck migrate bench bench-quick score-extraction score-clusters stack clean lock

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==25.3"
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

## make run: migrate, load the catalogue, then web (gunicorn), a worker and the scheduler.
run: migrate
	$(PY) manage.py load_publishers
	$(PY) manage.py collectstatic --noinput -v0
	PORT=$(PORT) VENV=$(VENV) bin/run-all

## make demo: make run, plus a dozen simulated publishers on loopback and a demo account.
demo: migrate
	$(PY) manage.py load_publishers
	$(PY) manage.py collectstatic --noinput -v0
	PORT=$(PORT) VENV=$(VENV) DEMO=1 FETCH_ALLOW_PRIVATE=1 bin/run-all

## make stack: the production topology as processes against real Postgres and Redis (set DATABASE_URL and
## REDIS_URL): gunicorn, a worker on feeds+default, a worker on extraction, and beat. Restarts what dies;
## Ctrl-C stops everything. See bin/stack.
stack: install
	DATABASE_URL="$${DATABASE_URL:?make stack needs DATABASE_URL=postgres://...}" \
	REDIS_URL="$${REDIS_URL:?make stack needs REDIS_URL=redis://...}" $(PY) manage.py migrate --noinput
	$(PY) manage.py load_publishers
	PORT=$(PORT) VENV=$(VENV) $(PY) bin/stack

## make test: everything the tests need, then the whole suite.
test: install
	bin/install-system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy newsreader articles subscriptions discovery accounts compat

score-extraction: install
	$(PY) scripts/score_extraction.py

score-clusters: install
	$(PY) scripts/score_clusters.py

bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

## Regenerate the lock file after changing pyproject.toml (needs the network to PyPI).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var staticfiles
