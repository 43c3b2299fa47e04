# Two entry points for a fresh machine: `make book` and `make test`.
# Each creates .venv and installs the project (with its test extra) when needed.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

ACE    := tools/ace/node_modules/.bin/ace-cli

.PHONY: book test check clean chromium

book: $(STAMP)
	@$(BIN)/python -m compileall -q qabook >/dev/null  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/qabook build --source source --out build

test: $(STAMP) $(ACE) chromium
	$(BIN)/python -m pytest -q

# DAISY Ace checks the EPUB's accessibility in a test; it drives Debian's chromium.
$(ACE): tools/ace/package.json tools/ace/package-lock.json
	cd tools/ace && PUPPETEER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --loglevel=error
	touch $(ACE)

chromium:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q chromium >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; }

check: $(STAMP)
	$(BIN)/qabook check --source source --strict

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf build
