# make run: create .venv if missing, install, start ganviz.   make test: the whole suite offscreen, on two workers.
# make media: regenerate the README pictures (docs/media) from the real window, offscreen.
# make docs: regenerate the reference pages and build the documentation site into .site/.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test lint bench media docs clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt "torch==2.13.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[gui,test,docs]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2 --dist loadfile --max-worker-restart=0

bench: $(STAMP)
	$(PY) main.py bench

media: $(STAMP)
	$(PY) docs/make_media.py

docs: $(STAMP)
	$(PY) -m ganviz.reference docs
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

clean:
	rm -rf $(VENV) runs .site
