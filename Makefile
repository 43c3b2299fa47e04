# Two entry points for a fresh machine: `make book` and `make test`, in either order.
# Each creates .venv and installs what it needs: `book` the project and the system libraries
# the PDF needs (qabook.environment names them); `test` also the test tools.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.installed-test

NODE   := tools/node/node_modules/.installed
AQT    := tools/aqt/.unpacked
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: book test check clean system chromium calibre

book: $(STAMP) system
	@$(BIN)/python -m compileall -q qabook >/dev/null  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	$(BIN)/qabook build --source source --out build

test: $(TESTED) system chromium calibre $(NODE) $(AQT)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/qabook check --source source --strict

# apt-get install, refreshing the package lists only when they do not know a package
define apt_install
command -v apt-get >/dev/null || { echo "install these system packages: $(1)" >&2; exit 1; }; \
echo "installing system packages: $(1)"; \
$(SUDO) apt-get install -y -q --no-install-recommends $(1) >/dev/null || \
  { $(SUDO) apt-get update -q >/dev/null && \
    $(SUDO) apt-get install -y -q --no-install-recommends $(1) >/dev/null; }
endef

# The system libraries the PDF needs, when the machine lacks some (Pango, HarfBuzz's subsetter).
system: $(STAMP)
	@missing=$$($(BIN)/python -m qabook.environment pdf) || exit 1; \
	if [ -n "$$missing" ]; then $(call apt_install,$$missing); fi

# The tests drive Debian's chromium: DAISY Ace checks the EPUB's accessibility in it, the
# reading harness (tests/reading.js) reads the EPUB in it, and Anki's MathJax runs in it.
chromium:
	@command -v chromium >/dev/null || { $(call apt_install,chromium); }

# calibre's ebook-convert turns the EPUB into AZW3, the usual way onto a Kindle, in a test.
calibre:
	@command -v ebook-convert >/dev/null || { $(call apt_install,calibre); }

# npm's tools for the tests (tools/node/package.json): DAISY Ace, whose puppeteer-core the
# reading harness uses too, and Readium CSS, the stylesheets Readium-based readers inject.
$(NODE): tools/node/package.json tools/node/package-lock.json
	@command -v npm >/dev/null || { $(call apt_install,npm); }
	cd tools/node && PUPPETEER_SKIP_DOWNLOAD=true npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE)

# Anki's reviewer page and MathJax, from the aqt wheel of the Anki version the tests install.
$(AQT): $(TESTED)
	rm -rf tools/aqt && mkdir -p tools/aqt
	$(BIN)/python -m pip download --quiet --no-deps --dest tools/aqt \
	  "aqt==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("anki"))')"
	$(BIN)/python -m zipfile -e tools/aqt/aqt-*.whl tools/aqt && rm tools/aqt/aqt-*.whl
	touch $(AQT)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(TESTED): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TESTED)

clean:
	rm -rf build
