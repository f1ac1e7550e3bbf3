# Fairplace — the two commands of the README: `make run` and `make test`.
# Both set everything up from a fresh clone: virtualenv, locked dependencies, database.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat requirements/pip.txt requirements/dev.txt | sha256sum | cut -c1-12)

.PHONY: run test install db lint lock e2e-browser pdf-libs clean bench

$(STAMP): requirements/pip.txt requirements/dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/pip.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

db: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py load_reference_data
	$(BIN)/python manage.py load_demo_data
	$(BIN)/python manage.py load_barometer_reference
	$(BIN)/python manage.py load_fee_reference
	$(BIN)/python manage.py load_fee_demo
	$(BIN)/python manage.py import_ota --history --if-available
	$(BIN)/python manage.py load_barometer_demo

# The web server and a worker (e-mails, exports, scans, periodic jobs), together: Ctrl+C stops both.
run: db pdf-libs
	@bash scripts/run.sh $(PORT)

e2e-browser:
	@bash scripts/ensure_chromium.sh

# Pango, HarfBuzz and fonts for WeasyPrint (edition PDFs), from Debian's packages when missing.
pdf-libs:
	@bash scripts/ensure_pdf_libs.sh

test: install e2e-browser pdf-libs
	@mkdir -p var
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=config.settings.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	bash scripts/test.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/intake.py

# Regenerate the lock files (needs network access to PyPI).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile --python-version 3.11 --generate-hashes -q requirements/base.in -o requirements/base.txt
	$(BIN)/uv pip compile --python-version 3.11 --generate-hashes -q requirements/dev.in -o requirements/dev.txt

clean:
	rm -rf $(VENV) var
