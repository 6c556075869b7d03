# The course kit's commands. Every target that needs Python installs what it
# needs into .venv first, so a machine with only python3 can run them all.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ASSIGNMENT := gradient_checking
# nbgrader starts `alembic` and kernels by name: find them in the venv.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup lock demo test test-fast release translations messages figures lab lint grade bench clean hub hub-clean

setup: $(STAMP)

# .venv holds exactly what requirements-lock.txt pins, each file checked against its hash:
# a changed lock rebuilds it from nothing, so no package of an earlier install stays behind.
$(STAMP): requirements-lock.txt
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-lock.txt
	touch $(STAMP)

# Resolve the loose lists (requirements-dev.txt; the hub's on top of requirements.txt) into
# the locks, keeping every pin they still allow. UPGRADE=--upgrade takes the newest of
# everything, UPGRADE="--upgrade-package babel" of one package. Then `make setup test`.
# Resolved by the oldest Python the kit supports, Debian 12's 3.11.2 (the hub's own Python),
# so the pins install on it and on every newer 3.11+: a newer resolver Python would pick
# releases an older one cannot install (soupsieve 4.1 needs 3.11.5).
LOCK_PYTHON ?= /usr/bin/python3
LOCK_TOOLS := $(abspath .lock-tools)
LOCK_TOOL_VERSIONS := pip==26.3 pip-tools==7.6.2
PIP_COMPILE = cd $(CURDIR) && $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links --no-emit-trusted-host $(UPGRADE)
lock:
	rm -rf $(LOCK_TOOLS)
	$(LOCK_PYTHON) -m venv $(LOCK_TOOLS)
	$(LOCK_TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check $(LOCK_TOOL_VERSIONS)
	$(PIP_COMPILE) --output-file=requirements-lock.txt requirements-dev.txt
	$(PIP_COMPILE) --constraint=requirements-lock.txt --output-file=deploy/hub/requirements-lock.txt \
		requirements.txt deploy/hub/requirements.txt
	rm -rf $(LOCK_TOOLS)

demo: $(STAMP)
	$(BIN)/python -m scripts.demo

test: $(STAMP)
	$(BIN)/python -m pytest

# The tests that need no service, browser, hub or system package and grade no whole
# course (pytest markers `system` and `slow`, pyproject.toml): a few minutes at most.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not system and not slow"

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

# Speed figures for docs/performance.md (not run by `make test`).
bench: $(STAMP)
	$(BIN)/python -m benchmarks.grading_speed
	$(BIN)/python -m benchmarks.checker_speed

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .lock-tools .pytest_cache .ruff_cache artifacts
