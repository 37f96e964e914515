# The course in two commands:   make lab   (open it)   ·   make test   (prove it)
# Both create .venv on first use and install the pinned environment; later runs install nothing.

PYTHON  ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
PORT    ?= 8888
# Extra arguments for `jupyter lab`, e.g. LAB_ARGS="--IdentityProvider.token=secret".
LAB_ARGS ?=
# Open a browser only where there is a screen to show it on.
NO_BROWSER := $(if $(or $(DISPLAY),$(WAYLAND_DISPLAY),$(filter Darwin,$(shell uname -s))),,--no-browser)
# Jupyter refuses to run as root (containers, CI) unless told it is intended.
AS_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)
STAMP   := $(VENV)/.installed-lab-dev
BENCH_STAMP := $(VENV)/.installed-bench
GRADING_STAMP := $(VENV)/.installed-grading
CLASSROOM_STAMP := $(VENV)/.installed-classroom
# The hub's proxy, from npm, into a local node_modules (deploy/jupyterhub_config.py finds it).
PROXY := _build/classroom/node_modules/.bin/configurable-http-proxy
# The single-machine hub's state (database, cookie secret): root only.
CLASSROOM_STATE ?= /srv/classroom
# The nbgrader course directory `make assignments` lays out.
GRADING_DIR ?= _build/grading

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export SDL_VIDEODRIVER := dummy
# Notebooks executed from `make` never fight over the two cores of a laptop.
export OMP_NUM_THREADS ?= 1

.PHONY: lab test quick lint unit notebooks sync sync-check translated-outputs exercises check-exercises translations check-translations bench slides slides-check slides-screenshots assignments grade bubblewrap classroom install clean help

help:
	@echo "make lab        open the course in JupyterLab (PORT=$(PORT))"
	@echo "make test       lint, sync-check, unit tests, run every solution notebook"
	@echo "make quick      lint and the fast unit tests only (no servers, browsers, notebooks)"
	@echo "make sync       rewrite everything derived from notebooks/solutions/ (docs/maintainers.md)"
	@echo "make sync-check the same, writing nothing: fails on any drift and names the fix"
	@echo "make translated-outputs  execute the translated notebooks still showing the English run's outputs"
	@echo "make slides     lecture decks of the notebooks, offline, in _build/slides/ (ANSWERS=1: with solutions)"
	@echo "make bench      benchmark the course's agents against Stable-Baselines3"
	@echo "make assignments  lay out an nbgrader course directory in $(GRADING_DIR)"
	@echo "make grade ASSIGNMENT=NN_name  grade its submissions, each in a sandbox"
	@echo "make classroom  run JupyterHub for a small class on this machine (root; deploy/)"

# The install runs when the stamp is missing or older than what defines the environment.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.2"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,dev,beyond]"
	@touch $@

install: $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) $(NO_BROWSER) $(AS_ROOT) $(LAB_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check course_utils tools tests benchmarks

# The unit tests include the nbgrader round trip (tests/tools/test_grading.py): the grading extra.
unit: $(GRADING_STAMP) bubblewrap $(CLASSROOM_STAMP) $(PROXY)
	$(BIN)/python -m pytest -q

# Then, in each translation, the notebooks of NBVAL_TRANSLATED (numbers), run in that language:
# 01, 02 and 04 add about 50 s of CPU (one thread: 9, 8 and 29 s); all six would add minutes
# more (03, 05 and 06 take 2-6 minutes each in English).
NBVAL_TRANSLATED ?= 01 02 04
notebooks: $(STAMP)
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider notebooks/solutions
	$(BIN)/python -m pytest -q --nbval-lax --nbval-current-env -p no:cacheprovider \
	  $(wildcard $(foreach lang,$(LANGS),$(foreach n,$(NBVAL_TRANSLATED),notebooks/$(lang)/solutions/$(n)_*.ipynb)))

# Lint and the sync check, then every install the tests need (one after another: pip never
# writes the venv while a kernel reads it), then two jobs side by side: the unit tests, and the
# notebooks followed by the compat run. On two cores that takes about max(unit, notebooks +
# compat) instead of their sum. Each job's output is printed whole when it ends (--output-sync).
test: lint sync-check
	@$(MAKE) --no-print-directory $(GRADING_STAMP) $(CLASSROOM_STAMP) $(PROXY) bubblewrap
	$(MAKE) --no-print-directory -j2 --output-sync=target unit notebooks-then-compat

.PHONY: notebooks-then-compat
notebooks-then-compat:
	$(MAKE) --no-print-directory notebooks
	$(MAKE) --no-print-directory compat

# For iteration: everything but the tests marked slow (install, lab, browser, Binder, kernels),
# as two pytest runs side by side, one per core, each running every other test (--shard,
# tests/conftest.py); each one's output is printed whole when it ends.
quick: lint sync-check $(STAMP)
	$(MAKE) --no-print-directory -j2 --output-sync=target quick-0 quick-1

.PHONY: quick-0 quick-1
quick-0 quick-1: quick-%: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -m "not slow" --shard $*/2

# Everything derived from the solution notebooks and course_utils/exercises.toml, in order:
# launch cells and grading stamp (in place), student notebooks, translation stubs and the
# translated editions (notebooks/<lang>/), deploy/links.md, the READMEs' course maps; then
# the checks a person fixes (registry, README sections, glossary). tools/sync.py lists them.
sync: $(STAMP)
	$(BIN)/python -m tools.sync

# The same steps, writing nothing: fails on any drift, naming the step and `make sync`.
sync-check: $(STAMP)
	$(BIN)/python -m tools.sync --check

# Execute, in its language, every translated solution notebook whose stored outputs are the
# English run's (`make sync-check` warns of them; minutes per notebook, as for the English);
# `make sync` then keeps those outputs until the English notebook, its outputs or the language's
# catalogues change. TRANSLATED="01 02": only those notebooks.
translated-outputs: $(STAMP)
	$(BIN)/python -m tools.translations
	@for lang in $(LANGS); do \
	  for nb in $$($(BIN)/python -m tools.translations --english-outputs --lang $$lang $(TRANSLATED)); do \
	    echo "$(BIN)/python -m tools.run_notebooks $$nb"; \
	    $(BIN)/python -m tools.run_notebooks $$nb || exit 1; \
	  done; \
	done
	$(BIN)/python -m tools.translations

# The names these targets had before `make sync` did it all.
exercises translations: sync
check-exercises check-translations: sync-check

# The translated editions: one per folder of translations/ with a language.toml (ko: Korean).
LANGS := $(patsubst translations/%/language.toml,%,$(wildcard translations/*/language.toml))

# Lecture decks, English and each translation, in _build/slides/{en,<lang>}/ (open from disk,
# offline; the first run installs reveal.js and MathJax with npm ci in tools/slides/). ANSWERS=1
# writes the instructor's decks with the exercise solutions, NN_name.answers.slides.html, beside them.
SLIDES_ARGS := $(if $(filter-out 0,$(ANSWERS)),--answers)
slides: $(STAMP)
	$(BIN)/python -m tools.slides $(SLIDES_ARGS) notebooks/solutions _build/slides/en
	@for lang in $(LANGS); do \
	  echo "$(BIN)/python -m tools.slides $(SLIDES_ARGS) notebooks/$$lang/solutions _build/slides/$$lang"; \
	  $(BIN)/python -m tools.slides $(SLIDES_ARGS) notebooks/$$lang/solutions _build/slides/$$lang || exit 1; \
	done

# Every slide of the built decks in headless Chromium (installed with apt-get if missing, as
# root), offline: fails on a slide that overflows 1920x1080, naming the deck and the slide.
slides-check: slides
	$(BIN)/python -m tools.slides.browser check _build/slides/en/*.html $(foreach lang,$(LANGS),_build/slides/$(lang)/*.html)

# The instructor guide's pictures of the decks: three small PNGs per deck, English in
# docs/img/slides/, each translation in docs/img/slides/<lang>/.
slides-screenshots: slides
	$(BIN)/python -m tools.slides.browser screenshots _build/slides/en docs/img/slides
	@for lang in $(LANGS); do \
	  $(BIN)/python -m tools.slides.browser screenshots _build/slides/$$lang docs/img/slides/$$lang || exit 1; \
	done

$(BENCH_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,dev,bench]"
	@touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# nbgrader for grading and its round-trip test; `make lab` never installs it.
$(GRADING_STAMP): $(STAMP) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,dev,grading]"
	@touch $@

# One nbgrader course directory per edition, English and each translation (course ids
# deep-rl-course and deep-rl-course-<lang>, in $(GRADING_DIR) and $(GRADING_DIR)-<lang>: all can
# be released on one hub), from the solution notebooks (stamped copies, solution-only cells
# left out); then: cd $(GRADING_DIR) && PATH=$(abspath $(BIN)):$$PATH nbgrader
# generate_assignment NN_name, and `make grade ASSIGNMENT=NN_name` (GRADING_DIR=...-ko).
assignments: $(GRADING_STAMP)
	$(BIN)/python -m tools.grading assignments notebooks/solutions $(GRADING_DIR)
	@for lang in $(LANGS); do \
	  echo "$(BIN)/python -m tools.grading assignments notebooks/$$lang/solutions $(GRADING_DIR)-$$lang --course-id deep-rl-course-$$lang"; \
	  $(BIN)/python -m tools.grading assignments notebooks/$$lang/solutions $(GRADING_DIR)-$$lang --course-id deep-rl-course-$$lang || exit 1; \
	done

# Grade every submission of one assignment, each in a bubblewrap sandbox (tools/grade.py);
# replaces `nbgrader autograde`: scores go to the gradebook, reports to $(GRADING_DIR)/reports/.
# GRADE_ARGS: --student ID, --exercise-timeout S, --unsafe (no sandbox: trusted code only).
grade: $(GRADING_STAMP) bubblewrap
	@test -n "$(ASSIGNMENT)" || { echo "usage: make grade ASSIGNMENT=NN_name [GRADE_ARGS=...]" >&2; exit 2; }
	$(BIN)/python -m tools.grading grade $(GRADING_DIR) $(ASSIGNMENT) $(GRADE_ARGS)

# The sandbox of `make grade` and its tests: Debian's bubblewrap, installed when root can.
bubblewrap:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; \
	  else echo "bubblewrap is missing (sudo apt-get install -y bubblewrap); make grade will refuse to grade" >&2; fi; }

# JupyterHub for a small class on this machine (docs/instructor-guide.md, "A class on
# JupyterHub"): run as root, with CLASSROOM_ADMIN_PASSWORD set; CLASSROOM_URL to change the address.
$(CLASSROOM_STAMP): $(GRADING_STAMP) pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,dev,grading,classroom]"
	@touch $@

$(PROXY):
	npm install --silent --no-audit --no-fund --prefix _build/classroom configurable-http-proxy@5.3.0

classroom: $(CLASSROOM_STAMP) $(PROXY)
	CLASSROOM_STATE=$(CLASSROOM_STATE) $(BIN)/jupyterhub -f deploy/jupyterhub_config.py

# The course on Colab-like package sets (IPython 7.34, ipywidgets 7.7.1, matplotlib 3.9,
# NumPy 2.0 and 1.26, torch 2.13.0) without constraints.txt, each in its own venv in
# ~/.cache/deep-rl-course/compat/ (built when its requirements change, else reused, so a fresh
# clone installs only the course package): the runtime's tests and the notebooks' import and
# check paths (tools/compat.py).
.PHONY: compat
compat: $(STAMP)
	$(BIN)/python -m tools.compat

clean:
	rm -rf $(VENV) _build test-artifacts .pytest_cache .ruff_cache
