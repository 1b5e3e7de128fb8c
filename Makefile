# The two commands: `make run` serves the product, `make test` checks it.
# Both set everything up first on a fresh machine.

PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
INSTANCE := instance
LOCK := requirements.lock
# .venv holds exactly the lock: a new lock (or pyproject.toml) makes it anew.
STAMP := $(VENV)/.installed-$(shell cat $(LOCK) pyproject.toml | sha1sum | cut -c1-12)
POT := translations/messages.pot
# uv writes the lock (make lock, make test-lowest); it lives in a venv of its own.
UV_VERSION := 0.13.9
UV := .venv-uv/bin/uv
UV_STAMP := .venv-uv/.installed-$(UV_VERSION)
LOWEST := .venv-lowest

.PHONY: run test setup keyboards catalogs audio extract-strings check-strings update-catalogs db demo bench clean lock test-lowest

setup: $(STAMP) catalogs keyboards audio

# The on-screen keyboards' generated tables (Chinese dictionary, phonetic Indic): build output,
# never committed, remade when the lock (their sources' versions) or their generator changes.
KEYBOARD_TABLES := kiosk/static/generated/pinyin-dict.txt
keyboards: $(KEYBOARD_TABLES)
$(KEYBOARD_TABLES): $(STAMP) $(wildcard kiosk/keyboards/*.py)
	$(BIN)/python -m kiosk.keyboards.build

# Everything from the lock, hash-checked, then our own package alone: its build
# backend (setuptools) is in the lock too, so nothing unpinned is fetched.
$(STAMP): $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

$(UV_STAMP):
	rm -rf .venv-uv
	$(PYTHON) -m venv .venv-uv
	.venv-uv/bin/python -m pip install --quiet 'uv==$(UV_VERSION)'
	touch $@

# Resolves pyproject.toml's ranges anew from PyPI (needs a network). Existing pins
# stay where the ranges allow: LOCK_ARGS="--upgrade-package flask" or "--upgrade" moves them.
lock: $(UV_STAMP)
	UV=$(UV) $(PYTHON) tools/lock.py lock $(LOCK_ARGS)

# The suite against the lowest version of every direct dependency that pyproject.toml
# admits (needs a network; not part of make test). On SQLite, and on PostgreSQL too
# with LOWEST_DATABASE_URL=postgresql://...
test-lowest: $(UV_STAMP)
	rm -rf $(LOWEST)
	$(PYTHON) -m venv $(LOWEST)
	UV=$(UV) $(PYTHON) tools/lock.py lowest $(LOWEST)/requirements.txt
	$(LOWEST)/bin/python -m pip install --quiet --require-hashes -r $(LOWEST)/requirements.txt
	$(LOWEST)/bin/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(LOWEST)/bin/pybabel compile --directory translations --domain messages 2>&1 | grep -v '^compiling' || true
	KIOSK_TEST_DATABASE_URL="$(LOWEST_DATABASE_URL)" $(LOWEST)/bin/python -m pytest $(PYTEST_ARGS)

# Compiled catalogs are build output, never committed. No --use-fuzzy: a fuzzy
# translation is not a translation.
catalogs: $(STAMP)
	$(BIN)/pybabel compile --directory translations --domain messages --statistics 2>&1 | grep -v '^compiling' || true
	@test -n "$$(find translations -name '*.mo' -print -quit)" || (echo "no catalogs compiled" && exit 1)

# The kiosk's synthetic voice, every phrase in every language (kiosk/audio/). Build output like
# the compiled catalogs, never committed; only missing clips are made, so after the first
# build (a minute or two) this takes seconds.
audio: $(STAMP)
	$(BIN)/python -m kiosk.audio

# messages.pot is committed; check-strings fails when the code says something it lacks.
extract-strings: $(STAMP)
	$(BIN)/pybabel extract --mapping babel.cfg --keywords _l --no-location --sort-output \
		--omit-header --output-file $(POT) --project kiosk .

check-strings: $(STAMP)
	@$(BIN)/pybabel extract --mapping babel.cfg --keywords _l --no-location --sort-output \
		--omit-header --output-file $(VENV)/fresh.pot --project kiosk . >/dev/null 2>&1
	@diff -q $(POT) $(VENV)/fresh.pot >/dev/null || \
		(echo "translations/messages.pot is stale: run 'make extract-strings update-catalogs'"; diff -u $(POT) $(VENV)/fresh.pot | head -40; exit 1)

update-catalogs: $(STAMP)
	$(BIN)/pybabel update --input-file $(POT) --output-dir translations --no-fuzzy-matching --ignore-obsolete --no-wrap

$(INSTANCE)/dev-secret-key:
	mkdir -p $(INSTANCE)
	$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $@
	chmod 600 $@

DEV_ENV = KIOSK_ENV=development KIOSK_SECRET_KEY="$$(cat $(INSTANCE)/dev-secret-key)" \
	KIOSK_PUBLIC_URL=http://127.0.0.1:$(PORT) KIOSK_SMS_NUMBER=$${KIOSK_SMS_NUMBER:-+15555550100}

db: setup $(INSTANCE)/dev-secret-key
	$(DEV_ENV) $(BIN)/kioskctl db upgrade

demo: db
	@$(DEV_ENV) $(BIN)/kioskctl demo --json > $(INSTANCE)/demo.json
	@echo "demo data loaded; credentials in $(INSTANCE)/demo.json"

run: demo
	@echo
	@echo "  The kiosk:        http://127.0.0.1:$(PORT)/kiosk/"
	@echo "  Make this browser the demo kiosk (one click, once):"
	@echo "    $$($(BIN)/python -c 'import json; print(json.load(open("$(INSTANCE)/demo.json"))["kiosk_enrollment_url"])')"
	@echo "  Demo cases, PINs and staff passwords: $(INSTANCE)/demo.json"
	@echo "  Text the product from the browser:    http://127.0.0.1:$(PORT)/dev/sms"
	@echo "  Staff console (accounts in demo.json): http://127.0.0.1:$(PORT)/staff/"
	@echo "  A worker runs beside the server (translation jobs). Stop both with Ctrl-C."
	@$(DEV_ENV) $(BIN)/kioskctl translate list | grep -q '^no language packages' && \
		echo "  No language package is installed: complaints wait for an interpreter. What to install: kioskctl translate coverage" || true
	@echo
	@$(DEV_ENV) $(BIN)/kioskctl worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/kioskctl run --host 127.0.0.1 --port $(PORT)

test: setup check-strings
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/kiosk_pages.py
	PYTHONPATH=. $(BIN)/python bench/translation.py

clean:
	rm -rf $(VENV) $(LOWEST) .venv-uv $(INSTANCE) translations/*/LC_MESSAGES/*.mo kiosk/static/generated
