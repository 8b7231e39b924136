# A fresh Debian machine with Python 3.11 needs two commands: `make run`, `make test`.
# The virtualenv is made once and re-installed only when a requirements file changes.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_MARIADB_URL ?= mysql+pymysql://root:@127.0.0.1:3306/test_project?charset=utf8mb4
PYTEST_ARGS ?=

.PHONY: run test test-mariadb lint format migration-reset clean

run: $(VENV)/.installed-runtime ## apply migrations to the SQLite database, serve on 127.0.0.1:$PORT (8000)
	$(BIN)/python manage.py db upgrade
	$(BIN)/python manage.py runserver --host 127.0.0.1 --port $${PORT:-8000}

.PHONY: serve
serve: $(VENV)/.installed-runtime ## migrate, then gunicorn (gunicorn.conf.py) on 127.0.0.1:$PORT (8000)
	$(BIN)/python manage.py db upgrade
	BIND=127.0.0.1:$${PORT:-8000} $(BIN)/python -m gunicorn -c gunicorn.conf.py

test: $(VENV)/.installed-dev ## the whole suite on SQLite (or on TEST_DATABASE_URL when set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-mariadb: $(VENV)/.installed-dev ## the whole suite on MariaDB/MySQL (TEST_MARIADB_URL)
	TEST_DATABASE_URL='$(TEST_MARIADB_URL)' $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .

# Rewrite migrations/versions/ as one "initial" script generated from the models
# against an empty SQLite database (scripts render the same for MySQL).
migration-reset: $(VENV)/.installed-runtime
	rm -f migrations/versions/*.py
	tmp=$$(mktemp -d) && \
	DATABASE_URL="sqlite:///$$tmp/empty.sqlite3" APP_SETTINGS=development \
		$(BIN)/python manage.py db migrate -m initial; \
	status=$$?; rm -rf "$$tmp"; exit $$status

clean:
	rm -rf $(VENV)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-runtime: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.installed-runtime
