# Renewal survey-and-interview pipeline. `make help` lists the targets.
# Targets are the stages' artifacts: an unchanged stage is not rerun.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

STUDY ?= examples/demo/study.yaml
# Where the study writes and every input each stage reads (exports, questionnaire, population,
# transcripts, roster, names, gold codings, codebook, problem catalogue) come from the CLI:
# `python -m pipeline deps` writes them as a fragment that is included below, regenerated when
# the study file or its transcripts folder changes. Goals that run no stage do not need it.
DEPS_DIR ?= .cache/deps
DEPS := $(DEPS_DIR)/$(subst /,__,$(abspath $(STUDY))).mk
NO_STUDY_GOALS := help venv demo test test-fast lint bench clean lock
ifneq ($(filter-out $(NO_STUDY_GOALS),$(or $(MAKECMDGOALS),help)),)
include $(DEPS)
endif
# a second run of the same study waits for the first (the stages take a per-study lock)
export RENEWAL_LOCK_WAIT ?= 3600

DEMO_RAW := examples/demo/raw/survey_by_text.xlsx examples/demo/raw/survey_by_code.xlsx

.PHONY: help venv demo all init test test-fast bench clean lock lint

help:  ## list the targets
	@echo "make demo                     install (first time) and run the whole pipeline on the bundled demo study"
	@echo "make test                     run the test suite (make test-fast: unit tests only, no whole-study runs)"
	@echo "make init EXPORTS='a.xlsx b.xlsx' OUT=dir  draft dir/questionnaire.yaml and dir/study.yaml from your export(s)"
	@echo "make all STUDY=path/study.yaml  run the pipeline on your study (outputs/<name>/)"
	@echo "make ingest|clean-stage|stats|interviews|code|topics|findings|report|review STUDY=...  one stage (and what it needs)"
	@echo "make lint                     ruff on the package, tests and benchmarks"
	@echo "make bench                    benchmarks (ingest+clean+init at 50k xlsx and 1M csv; segmentation and interview stages; ordinal model vs R clm)"
	@echo "make lock                     re-pin requirements.lock from the current environment"
	@echo "make clean                    delete the pipeline's stage folders under outputs/ (never your files) and the generated demo exports (keeps .venv)"
	@echo "(after make venv, the command 'renewal STAGE --study PATH' is in .venv/bin)"

# the pinned dependencies, then the project itself (editable: the `renewal` command, package data)
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

venv: $(STAMP)

# --- the bundled demo study: raw exports come from a seeded generator ---
$(DEMO_RAW) &: examples/demo/generate.py pipeline/data/questionnaires/renewal_satisfaction.yaml $(STAMP)
	$(PY) examples/demo/generate.py --out examples/demo/raw

$(DEPS): $(STAMP) pipeline/core/makedeps.py pipeline/core/registry.py pipeline/core/study.py
	$(PY) -m pipeline deps --study $(STUDY) --output $@

# --- stages: the rules (one per stage that applies to the study: its artifact, every input it
# reads, the artifacts of the stages before it, the package files it runs) come from the stage
# registry through $(DEPS), as do the targets ingest, clean-stage, stats, interviews, code,
# topics, findings, report and review ---
all: $(ALL)  ## the whole pipeline for STUDY

demo:
	@$(MAKE) --no-print-directory all STUDY=examples/demo/study.yaml

# draft a questionnaire definition and a study file from export(s) of one survey (docs/init.md)
init: $(STAMP)
	@test -n "$(EXPORTS)" -a -n "$(OUT)" || { echo "usage: make init EXPORTS='export.xlsx [twin.xlsx]' OUT=folder"; exit 2; }
	$(PY) -m pipeline init $(EXPORTS) --out $(OUT)

test: $(STAMP)
	$(PY) -m ruff check pipeline tests bench examples
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

lint: $(STAMP)
	$(PY) -m ruff check pipeline tests bench examples

bench: $(STAMP)
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_segment.py
	$(PY) bench/bench_models.py

lock:
	$(PY) -m pip freeze --all --exclude-editable | grep -v -e '^-e' -e '^pip==' > requirements.lock.new
	{ echo '# Exact versions installed by `make` (pip freeze of a working environment, Python 3.11).'; \
	  echo '# Regenerate with `make lock` after changing dependencies in pyproject.toml.'; \
	  cat requirements.lock.new; } > requirements.lock && rm requirements.lock.new

# outputs: only stage folders that are wholly the pipeline's (your files and edits are kept and listed)
clean:
	if test -x $(PY); then $(PY) -m pipeline clean-outputs outputs; fi
	rm -rf $(DEMO_RAW) $(DEPS_DIR)
