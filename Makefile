# The two set-up commands of the README: `make demo` and `make test`.
# Both run `make install` first, which is idempotent: it installs only what is missing.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim fonts-noto-cjk fonts-arphic-gkai00mp fonts-dejavu-core \
	poppler-utils qpdf libreoffice-writer-nogui redis-server chromium postgresql postgresql-contrib
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install system-packages handfonts demo test bench clean

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

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Handwriting faces of the sample generator (ocr/handfonts.py): `npm pack` of pinned fontsource
# packages, converted to TTF under .cache/handfonts/. Installs Debian's npm first if it is missing.
handfonts: $(VENV)/.installed
	@command -v npm >/dev/null || { echo "installing system packages: npm"; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends npm; }
	$(BIN)/python -m ocr.handfonts

demo: install
	$(BIN)/handover demo

test: install
	$(BIN)/python -m pytest -q

bench: install
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) handover-data .pytest_cache
