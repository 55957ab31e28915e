# The two commands a newcomer needs: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV := .venv
# The whole suite runs on both cores (pytest-xdist): each worker has its own test database (SQLite file, or
# test_<name>_gw0/_gw1 on PostgreSQL) and its own live server. `make test PYTEST_ARGS=` runs it in one process.
# --durations: CI must stay under 15 minutes; its log lists the slowest tests to look at first.
PYTEST_ARGS ?= -n 2 --durations=25
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 3
# Access log without query strings or referrers: a search (?q=) may hold a voter's name or phone number. The
# logger class masks tracking codes in /track/ paths (and phone numbers, e-mail addresses) in every line.
ACCESS_LOG_FORMAT := '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
ACCESS_LOGGER := liaison.gunicorn_logging.MaskingLogger

.PHONY: run test lint format typecheck lock messages translations migrations-check browser clean

# --- set-up steps (each redone only when its inputs change) ---------------------------------------
$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Installs come from the lock files (exact versions, every file's hash checked); the ranges live in
# requirements*.txt and `make lock` turns them into the locks. A changed lock re-installs.
$(VENV)/.installed: requirements.lock $(VENV)/bin/activate
	$(PIP) install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed
	$(PIP) install --quiet --require-hashes -r requirements-dev.lock
	touch $@

.env: .env.example
	$(PYTHON) scripts/write_env.py

messages: $(VENV)/.installed
	$(PY) scripts/compile_messages.py

# Chromium for the browser tests, from Debian's packages (Playwright cannot download its own browsers
# here). Without root or apt the step only warns; the browser tests then skip locally and fail in CI.
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk) >/tmp/liaison-apt.log 2>&1 \
	      || echo "warning: could not install chromium (see /tmp/liaison-apt.log)"; \
	  else echo "warning: /usr/bin/chromium missing and apt-get unavailable; browser tests will be skipped"; fi; \
	fi

# --- the two commands -----------------------------------------------------------------------------
run: $(VENV)/.installed .env messages
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/"
	@# The portal serves as the runtime role: the owner's URL (for migrate above) stays out of its environment.
	exec env -u DATABASE_OWNER_URL $(VENV)/bin/gunicorn liaison.wsgi:application --bind $(HOST):$(PORT) --workers $(WORKERS) \
	  --access-logfile - --access-logformat $(ACCESS_LOG_FORMAT) --logger-class $(ACCESS_LOGGER)

test: $(VENV)/.installed-dev .env messages browser
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# --- developer helpers ----------------------------------------------------------------------------
lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# mypy with django-stubs; what it checks and how strictly is in pyproject.toml ([tool.mypy]).
typecheck: $(VENV)/.installed-dev
	$(VENV)/bin/mypy

# Regenerate requirements.lock (runtime) and requirements-dev.lock (runtime + dev) from the ranges in
# requirements.txt and requirements-dev.txt, with hashes. Versions already locked are kept while they
# still fit the ranges; `make lock LOCK_ARGS=--upgrade` (or `LOCK_ARGS="--upgrade-package Django"`) moves
# them. The dev lock is constrained by the runtime lock, so both pin the same runtime versions. Index
# and find-links options are left out of the files: they come from each machine's pip configuration.
LOCK_FLAGS := --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: $(VENV)/.installed-dev
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) \
	  --output-file requirements.lock requirements.txt
	CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile $(LOCK_FLAGS) $(LOCK_ARGS) \
	  --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

migrations-check: $(VENV)/.installed
	$(PY) manage.py makemigrations --check --dry-run

# Regenerate the Chinese catalogue from the code and the translation files in locale/zh_Hans/strings/
# (one per part of the portal, pairs of lines: English, then Chinese). Needs GNU gettext
# (apt-get install gettext); only for developers who change strings.
translations: $(VENV)/.installed
	$(PY) manage.py makemessages --locale zh_Hans --no-obsolete --no-location --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*'
	$(PY) scripts/po_fill.py locale/zh_Hans/strings/*.txt
	$(PY) scripts/po_fill.py --missing

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
