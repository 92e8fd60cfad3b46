# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := lms
# The NHS.UK design system from npm: its script and images copied, its styles compiled with
# ours by Sass (assets/lms.scss), all into lms/static/nhsuk/ (git-ignored).
NHSUK_DIST := node_modules/nhsuk-frontend/dist/nhsuk
FRONTEND := lms/static/nhsuk/.installed
# The compiled Welsh and English catalogs (never committed: built from the .po files).
CATALOGS := lms/translations/.compiled

.PHONY: run test test-fast fuzz load bench lint format lock clean screenshots messages

## run: install, migrate the SQLite database, load the framework, the modules and a demo programme,
##      print the demo logins, start the job queue's worker (it writes the e-mails to
##      instance/outbox/) and serve on http://127.0.0.1:5000
run: export LMS_ENV ?= development
# Links in e-mails point where this server listens.
run: export LMS_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed-main $(FRONTEND) $(CATALOGS)
	.ci/ensure-pdf-libraries
	$(BIN)/flask db upgrade
	$(BIN)/flask lms seed
	$(BIN)/flask lms demo
	@echo "Serving on http://$(HOST):$(PORT)/ (the framework: http://$(HOST):$(PORT)/api/v1/framework)"
	@echo "E-mail: the worker writes each message to instance/outbox/; signed in as the administrator, read them at http://$(HOST):$(PORT)/dev/outbox"
	$(BIN)/flask lms worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: install the dev dependencies (Chromium for the browser tests, Pango for the PDF
##       report), run ruff and the
##       whole suite (set LMS_TEST_DATABASE_URL to run it against PostgreSQL)
# pytest-xdist: one worker per core (TEST_WORKERS to change), each with its own database;
# a file's tests stay on one worker, in order (the service tests share a database per file).
# The API fuzzing runs after, in one process: under xdist its 66 tests share one node id.
TEST_WORKERS ?= auto
FUZZ_TESTS := tests/test_fuzz_api.py

test: $(VENV)/.installed-dev $(FRONTEND) $(CATALOGS)
	.ci/ensure-chromium
	.ci/ensure-pdf-libraries
	$(BIN)/ruff check .
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --ignore=$(FUZZ_TESTS)
	$(BIN)/pytest $(FUZZ_TESTS)

## test-fast: ruff and every test that needs nothing beyond SQLite and this process (no
##            PostgreSQL, Redis, server, worker process or browser) and takes under a second
##            (no `slow` tests, no fuzzing): your own loop, under a minute here (README has
##            the measured times); `make test` runs them all
FAST := not (postgres or redis or server or browser or worker or slow)

test-fast: $(VENV)/.installed-dev $(FRONTEND) $(CATALOGS)
	.ci/ensure-pdf-libraries
	$(BIN)/ruff check .
	env -u LMS_TEST_DATABASE_URL -u LMS_TEST_DATABASE_URL_PG -u LMS_TEST_REDIS_URL \
		$(BIN)/pytest -q -p no:schemathesis -n $(TEST_WORKERS) --dist worksteal --ignore=$(FUZZ_TESTS) -m "$(FAST)"

## fuzz: Schemathesis against every API operation with many more examples than `make test`
##       (LMS_FUZZ_EXAMPLES, default 200; LMS_TEST_DATABASE_URL for PostgreSQL); a few minutes
fuzz: $(VENV)/.installed-dev $(CATALOGS)
	LMS_FUZZ_EXAMPLES=$${LMS_FUZZ_EXAMPLES:-200} $(BIN)/pytest -p no:cacheprovider tests/test_fuzz_api.py

## load: participants saving drafts and submitting at once, tutors reading, against gunicorn,
##       PostgreSQL (database lms_load, emptied) and Redis; checks every accepted write is
##       stored exactly once and nothing is 5xx; writes bench/results/load.md (a few minutes)
load: $(VENV)/.installed-dev $(CATALOGS)
	$(BIN)/python bench/load.py $(LOAD_ARGS)

## bench: build a 20,000-participant programme in PostgreSQL (database lms_bench, emptied;
##        LMS_BENCH_DATABASE_URL to change) and measure every case against its limit; prints
##        one table and writes bench/results/bench.md (a few minutes; needs PostgreSQL, Redis)
bench: $(VENV)/.installed-dev $(CATALOGS)
	@command -v wrk >/dev/null || { echo "installing wrk (the HTTP load generator)"; \
		apt-get install -y -qq wrk >/dev/null || { echo "make bench needs wrk: apt-get install wrk"; exit 1; }; }
	$(BIN)/python bench/run.py

## screenshots: retake the README's pictures (each role's home, a participant's home with
##       what is due, a roster preview) into docs/screenshots/
screenshots: $(VENV)/.installed-dev $(FRONTEND) $(CATALOGS)
	.ci/ensure-chromium
	LMS_UPDATE_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser/test_accessibility.py \
		tests/browser/test_cohort_setup.py -k "every_page or sets_a_cohort_up"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .

## lock: re-pin requirements/*.txt from pyproject.toml (run after changing dependencies)
lock: $(VENV)/.installed-dev
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--output-file requirements/main.txt pyproject.toml
	$(BIN)/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra dev --output-file requirements/dev.txt pyproject.toml

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# A stamp per requirements file: installing again only when the pins change.
$(VENV)/.installed-main: requirements/main.txt | $(BIN)/python
	$(PIP) install -r requirements/main.txt
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(BIN)/python
	$(PIP) install -r requirements/dev.txt
	touch $@ $(VENV)/.installed-main

# npm ci installs exactly what package-lock.json pins; only the built files are served.
$(CATALOGS): $(wildcard lms/translations/*/LC_MESSAGES/messages.po) | $(VENV)/.installed-main
	$(BIN)/pybabel compile --statistics -d lms/translations
	touch $@

## messages: find the translatable texts again and add the new ones to each catalog (then
##           translate the Welsh ones in lms/translations/cy/LC_MESSAGES/messages.po)
messages: $(VENV)/.installed-main
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l -k gettext_markup -k ngettext_markup:1,2 --no-location \
		--sort-output --omit-header -o lms/translations/messages.pot .
	$(BIN)/pybabel update --no-fuzzy-matching --ignore-obsolete -i lms/translations/messages.pot \
		-d lms/translations

$(FRONTEND): package-lock.json assets/lms.scss
	@command -v npm >/dev/null || { echo "make needs Node.js (20 or newer) and npm to build the pages' styles: install them (Debian: apt-get install nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf lms/static/nhsuk && mkdir -p lms/static/nhsuk
	cp $(NHSUK_DIST)/nhsuk-frontend.min.js lms/static/nhsuk/
	cp -R $(NHSUK_DIST)/assets lms/static/nhsuk/assets
	node_modules/.bin/sass --no-source-map --style=compressed --load-path=node_modules \
		assets/lms.scss lms/static/nhsuk/lms.css
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache node_modules lms/static/nhsuk
	rm -f lms/translations/*/LC_MESSAGES/messages.mo $(CATALOGS)
