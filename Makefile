# The two set-up commands of the README: `make demo` and `make test`.
# Both run `make install` first, which is idempotent: it installs only what is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk fonts-arphic-gkai00mp fonts-hanazono fonts-dejavu-core \
	poppler-utils qpdf libreoffice-writer-nogui redis-server chromium postgresql postgresql-contrib
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-packages handfonts demo test bench lock clean

install: system-packages $(VENV)/.installed handfonts

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# Python packages at the versions of constraints.txt, so that a new release on PyPI cannot change
# what a clean checkout installs between one green run and the next.
$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	touch $@

# Newest releases allowed by pyproject.toml, written to constraints.txt: run make test before
# committing the new file.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip
	.lock-venv/bin/pip install -q -e '.[test]'
	{ sed -n '1,2p' constraints.txt; .lock-venv/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt && rm -rf .lock-venv
	@echo "constraints.txt 已更新：请运行 make test 后再提交"

# Handwriting faces of the sample generator (ocr/handfonts.py): `npm pack` of pinned fontsource
# packages, converted to TTF under .cache/handfonts/. Installs Debian's npm first if it is missing.
handfonts: $(VENV)/.installed
	@command -v npm >/dev/null || { echo "installing system packages: npm"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm; }
	$(BIN)/python -m ocr.handfonts

demo: install
	$(BIN)/handover demo

# The files whose tests write the catalog database (publish and 档号, audit, requests, users and
# sessions, intake and worker tables, every web route) run a second time on PostgreSQL, on a
# throw-away server the fixtures start (tests/conftest.py); the rest (OCR, documents, storage)
# meets no database and would only repeat itself. Both runs always run; either failing fails.
PG_TESTS := tests/archive_store tests/web tests/workers/test_embedded.py tests/workers/test_destination.py \
	tests/test_roster_import.py tests/test_communities.py tests/test_cli.py

test: install
	@status=0; \
	$(BIN)/python -m pytest -q || status=1; \
	HANDOVER_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -m "not slow" $(PG_TESTS) || status=1; \
	exit $$status

bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) handover-data .pytest_cache
