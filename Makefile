# Everything runs from a project-local virtual environment that these targets create.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# What to install: the project with its dev extras here; the Docker image installs the
# same way with EXTRAS=server (no test tools) and PIP_ARGS naming torch's wheel index.
EXTRAS ?= dev
PIP_ARGS ?=

.PHONY: install run demo test lint typecheck check bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_ARGS) --editable '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

# The service on the embedded defaults: SQLite under ./data, migrated on start, the
# default gallery's key printed on the first start (and kept in data/default-api-key).
run: install
	$(BIN)/twinverify serve

# The seed demonstration, end to end through the command line: export scikit-learn's
# digits as a folder dataset, train a twin network on digits 0-6, evaluate it on pairs of
# the never-seen digits 7-9 (report, ROC/DET/histogram PNGs under runs/digits/).
demo: install
	$(BIN)/python -m models.demo data/digits
	$(BIN)/twinverify train --config configs/digits.toml
	$(BIN)/twinverify evaluate --checkpoint runs/digits/best.safetensors \
		--pairs data/digits/unseen_pairs.tsv --out runs/digits/report.json --plots runs/digits/plots

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/hadolint Dockerfile deploy/base/*.Dockerfile
	$(BIN)/shellcheck .ci/run .ci/stack deploy/generate-env deploy/build-base-images deploy/base/*.sh

typecheck: install
	$(BIN)/mypy

check: lint typecheck test

bench: install
	$(BIN)/python bench/train_throughput.py
	$(BIN)/python -m bench.service_latency
	$(BIN)/python -m bench.identify_scale --http
	$(BIN)/python -m bench.signature_latency
	$(BIN)/python -m bench.signature_training_speed
	$(BIN)/python -m bench.reference_normalisation
	$(BIN)/python -m bench.face_template
	$(BIN)/python -m bench.face_pipeline_latency
	$(BIN)/python -m bench.online_dtw_baseline

clean:
	rm -rf $(VENV) runs data .mypy_cache .ruff_cache .pytest_cache
