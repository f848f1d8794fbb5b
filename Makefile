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
NO_STUDY_GOALS := help venv demo test test-fast bench clean lock
ifneq ($(filter-out $(NO_STUDY_GOALS),$(or $(MAKECMDGOALS),help)),)
include $(DEPS)
endif
# a second run of the same study waits for the first (the stages take a per-study lock)
export RENEWAL_LOCK_WAIT ?= 3600
# the code each stage runs: a change reruns that stage and (through its artifact) the later ones
CORE := $(wildcard pipeline/*.py pipeline/core/*.py pipeline/survey/*.py pipeline/survey/io/*.py pipeline/interviews/transcripts.py pipeline/interviews/segmentation.py)
TEXT_DATA := $(wildcard coding_schemes/*.txt)

DEMO_RAW := examples/demo/raw/survey_by_text.xlsx examples/demo/raw/survey_by_code.xlsx

.PHONY: help venv demo all test bench clean lock ingest clean-stage stats interviews code topics findings report

help:  ## list the targets
	@echo "make demo                     install (first time) and run the whole pipeline on the bundled demo study"
	@echo "make test                     run the test suite"
	@echo "make all STUDY=path/study.yaml  run the pipeline on your study (outputs/<name>/)"
	@echo "make ingest|clean-stage|stats|interviews|code|topics|findings|report STUDY=...  one stage (and what it needs)"
	@echo "make bench                    benchmarks (ingest+clean at 50k xlsx and 1M csv; segmentation and interview stages)"
	@echo "make lock                     re-pin requirements.lock from the current environment"
	@echo "make clean                    delete outputs/ and generated demo exports (keeps .venv)"

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

venv: $(STAMP)

# --- the bundled demo study: raw exports come from a seeded generator ---
$(DEMO_RAW) &: examples/demo/generate.py questionnaires/renewal_satisfaction.yaml $(STAMP)
	$(PY) examples/demo/generate.py --out examples/demo/raw

$(DEPS): $(STAMP) pipeline/core/makedeps.py pipeline/core/study.py
	$(PY) -m pipeline deps --study $(STUDY) --output $@

# --- stages: each target is the stage's artifact; IN_<STAGE> are its inputs (from $(DEPS)) ---
$(OUT)/ingest/responses.parquet: $(IN_INGEST) $(CORE) $(STAMP)
	$(PY) -m pipeline ingest --study $(STUDY)

$(OUT)/clean/responses.parquet: $(OUT)/ingest/responses.parquet $(IN_CLEAN)
	$(PY) -m pipeline clean --study $(STUDY)

$(OUT)/stats/manifest.json: $(OUT)/clean/responses.parquet $(IN_STATS) $(wildcard pipeline/stats/*.py)
	$(PY) -m pipeline stats --study $(STUDY)

$(OUT)/interviews/segments.parquet: $(IN_INTERVIEWS) $(CORE) $(TEXT_DATA) $(STAMP)
	$(PY) -m pipeline interviews --study $(STUDY)

$(OUT)/coding/codings.parquet: $(OUT)/interviews/segments.parquet $(IN_CODE) $(wildcard pipeline/interviews/*.py)
	$(PY) -m pipeline code --study $(STUDY)

# topics relate their topics to the codes (topic_codes.csv), so they follow the coding stage
$(OUT)/topics/topics.csv: $(OUT)/interviews/segments.parquet $(if $(HAS_CODING),$(OUT)/coding/codings.parquet) $(IN_TOPICS) pipeline/interviews/topics.py
	$(PY) -m pipeline topics --study $(STUDY)

$(OUT)/findings/findings.csv: $(OUT)/stats/manifest.json $(if $(HAS_CODING),$(OUT)/coding/codings.parquet) $(IN_FINDINGS) coding_schemes/problems.yaml $(wildcard pipeline/findings/*.py)
	$(PY) -m pipeline findings --study $(STUDY)

$(OUT)/report/report.docx: $(OUT)/findings/findings.csv $(if $(HAS_INTERVIEWS),$(OUT)/topics/topics.csv) $(IN_REPORT) $(wildcard pipeline/report/*.py)
	$(PY) -m pipeline report --study $(STUDY)

ingest: $(OUT)/ingest/responses.parquet
clean-stage: $(OUT)/clean/responses.parquet
stats: $(OUT)/stats/manifest.json
interviews: $(OUT)/interviews/segments.parquet
code: $(OUT)/coding/codings.parquet
topics: $(OUT)/topics/topics.csv
findings: $(OUT)/findings/findings.csv
report: $(OUT)/report/report.docx

all: $(OUT)/report/report.docx  ## the whole pipeline for STUDY

demo:
	@$(MAKE) --no-print-directory all STUDY=examples/demo/study.yaml

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) bench/bench_ingest.py
	$(PY) bench/bench_segment.py

lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock.new
	{ echo '# Exact versions installed by `make` (pip freeze of a working environment, Python 3.11).'; \
	  echo '# Regenerate with `make lock` after changing dependencies in pyproject.toml.'; \
	  cat requirements.lock.new; } > requirements.lock && rm requirements.lock.new

clean:
	rm -rf outputs/*/ $(DEMO_RAW) $(DEPS_DIR)
