# The course kit's commands. Every target that needs Python installs what it
# needs into .venv first, so a machine with only python3 can run them all.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSIGNMENT := gradient_checking
# nbgrader starts `alembic` and kernels by name: find them in the venv.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup demo test release translations messages figures lab lint grade bench clean hub hub-clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m scripts.demo

test: $(STAMP)
	$(BIN)/python -m pytest

# Every assignment under source/: the English one, and its translations rebuilt first.
release: translations
	$(BIN)/python -m scripts.regenerate_release

# source/gradient_checking_<language>/ from the English source and translations/<language>/
# (Chinese and Korean figures need Debian's fonts-noto-cjk).
translations: $(STAMP)
	$(BIN)/python -m i18n.build

# The tests' messages (the modules' and the notebook's test cells'): update translations/*/LC_MESSAGES/messages.po.
messages: $(STAMP)
	$(BIN)/python -m i18n.messages update

# The figures of every language.
figures: $(STAMP)
	$(BIN)/python -m scripts.make_figures

lab: $(STAMP)
	cd release/$(ASSIGNMENT) && ../../$(BIN)/jupyter lab

# Autograde every submitted/ student in parallel (same results as `nbgrader autograde`).
grade: $(STAMP)
	$(BIN)/python -m grading.parallel $(ASSIGNMENT) --feedback

# The course on a local JupyterHub (127.0.0.1), with an instructor and three students as
# real Unix users (root only; see docs/jupyterhub.md). Ctrl-C stops it; hub-clean removes it all.
HUB_ROOT ?= /srv/gradient-checking-hub
HUB_PORT ?= 8000
hub: $(STAMP)
	$(BIN)/python -m deploy.hub up --root $(HUB_ROOT) --port $(HUB_PORT)

hub-clean: $(STAMP)
	$(BIN)/python -m deploy.hub clean --root $(HUB_ROOT)

# Speed figures for the README's performance section (not run by `make test`).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.grading_speed
	$(BIN)/python -m benchmarks.checker_speed

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache artifacts
