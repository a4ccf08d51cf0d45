# Bluebird — `make run` starts a demo office, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: install run test test-sqlite test-postgres test-reliability lint bench translations extract chromium clean

install: $(VENV)/.installed translations

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

# Compile the message catalogs (the .mo files are build output, not committed).
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations -f --statistics

# Re-extract strings after changing code or templates, then translate both catalogs.
extract: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --omit-header --sort-output .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --omit-header
	$(PY) tools/i18n_check.py --fill-en

# Debian's Chromium (and a CJK font) for browser tests and photo watermarks.
chromium:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then \
	  echo "installing chromium and fonts-wqy-microhei with apt"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei) >/dev/null; \
	fi

# The web server and the one task consumer (periodic tick every minute) run side by
# side under tools/run.py; Ctrl-C or TERM stops both cleanly.
run: install
	$(FLASK) db upgrade
	$(FLASK) demo-data --if-empty
	@echo ""
	@echo "Bluebird is starting at http://$(HOST):$(PORT)/login"
	@echo "Demo logins (password: bluebird): admin manager butler1 butler2 butler3 reception reception2 inspector tech1 tech2"
	@echo ""
	@exec $(PY) tools/run.py --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check bluebird tests bench tools app.py gunicorn.conf.py

test-sqlite: install chromium
	$(PY) -m pytest

test-postgres: install chromium
	BLUEBIRD_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest

test: lint test-sqlite test-postgres

# Only the reliability suite (real gunicorn and huey processes), on both databases.
test-reliability: install
	$(PY) -m pytest -m reliability tests/reliability
	BLUEBIRD_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -m reliability tests/reliability

bench: install
	@for f in bench/[!_]*.py; do echo "== $$f" >&2; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
