# Renewal survey-and-interview pipeline. `make help` lists the targets.
# Targets are the stages' artifacts: an unchanged stage is not rerun.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

STUDY ?= examples/demo/study.yaml
# the value of a key at the start of a line of the study file (block-style YAML, unquoted values)
study_key = $(shell sed -n 's/^$(1):[[:space:]]*\([^[:space:]#]*\).*/\1/p' $(STUDY) 2>/dev/null)
NAME := $(call study_key,name)
# where the stages write: the study's `outputs:` (relative to the study file) or outputs/<name>
OUTPUTS := $(call study_key,outputs)
OUT := $(if $(OUTPUTS),$(dir $(STUDY))$(OUTPUTS),outputs/$(NAME))
# the code each stage runs: a change reruns that stage and (through its artifact) the later ones
CORE := $(wildcard pipeline/*.py pipeline/io/*.py)
STAGE_CODE := pipeline/coding.py pipeline/agreement.py pipeline/qdpx.py pipeline/suggest.py pipeline/topics.py pipeline/findings.py
CORE := $(filter-out $(STAGE_CODE),$(CORE))
QUESTIONNAIRE_FILES := $(wildcard questionnaires/*.yaml)

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

# --- stages: each target is the stage's artifact ---
$(OUT)/ingest/responses.parquet: $(STUDY) $(CORE) $(QUESTIONNAIRE_FILES) $(STAMP) $(if $(filter examples/demo/study.yaml,$(STUDY)),$(DEMO_RAW))
	$(PY) -m pipeline ingest --study $(STUDY)

$(OUT)/clean/responses.parquet: $(OUT)/ingest/responses.parquet
	$(PY) -m pipeline clean --study $(STUDY)

ingest: $(OUT)/ingest/responses.parquet
clean-stage: $(OUT)/clean/responses.parquet

$(OUT)/stats/manifest.json: $(OUT)/clean/responses.parquet $(wildcard pipeline/stats/*.py)
	$(PY) -m pipeline stats --study $(STUDY)

# interviews: only for studies with an `interviews:` section (block style, `  dir:` under it)
INTERVIEW_DIR := $(call study_key,  dir)
TRANSCRIPTS := $(if $(INTERVIEW_DIR),$(wildcard $(dir $(STUDY))$(INTERVIEW_DIR)*))
$(OUT)/interviews/segments.parquet: $(STUDY) $(CORE) $(TRANSCRIPTS) $(wildcard coding_schemes/*.txt) $(STAMP)
	$(PY) -m pipeline interviews --study $(STUDY)

CODING_SCHEME := $(call study_key,coding_scheme)
# (gold codings kept in the transcripts folder are among $(TRANSCRIPTS))
$(OUT)/coding/codings.parquet: $(OUT)/interviews/segments.parquet $(if $(CODING_SCHEME),$(dir $(STUDY))$(CODING_SCHEME)) pipeline/coding.py pipeline/agreement.py pipeline/qdpx.py pipeline/suggest.py
	$(PY) -m pipeline code --study $(STUDY)

stats: $(OUT)/stats/manifest.json
interviews: $(OUT)/interviews/segments.parquet
code: $(OUT)/coding/codings.parquet

# topics relate their topics to the codes (topic_codes.csv), so they follow the coding stage
$(OUT)/topics/topics.csv: $(OUT)/interviews/segments.parquet $(if $(CODING_SCHEME),$(OUT)/coding/codings.parquet) pipeline/topics.py
	$(PY) -m pipeline topics --study $(STUDY)

topics: $(OUT)/topics/topics.csv

PROBLEMS := $(call study_key,problems)
FINDINGS_IN := $(OUT)/stats/manifest.json $(if $(and $(INTERVIEW_DIR),$(CODING_SCHEME)),$(OUT)/coding/codings.parquet)
$(OUT)/findings/findings.csv: $(FINDINGS_IN) $(if $(PROBLEMS),$(dir $(STUDY))$(PROBLEMS),coding_schemes/problems.yaml) pipeline/findings.py
	$(PY) -m pipeline findings --study $(STUDY)

$(OUT)/report/report.docx: $(OUT)/findings/findings.csv $(if $(INTERVIEW_DIR),$(OUT)/topics/topics.csv) $(wildcard pipeline/report/*.py)
	$(PY) -m pipeline report --study $(STUDY)

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
	rm -rf outputs/*/ $(DEMO_RAW)
