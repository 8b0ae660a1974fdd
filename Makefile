# Quick start: `make demo` (the whole product locally) and `make test` (everything CI runs).
SHELL := /bin/bash
.DEFAULT_GOAL := help

# pyenv's own 3.13 first: its shim for python3.13 fails unless 3.13 is the selected version.
PY313 ?= $(shell ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | tail -n 1 || true)
ifeq ($(PY313),)
PY313 := $(shell command -v python3.13 2>/dev/null)
endif
VENV := .venv
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export AWS_DEFAULT_REGION ?= eu-west-2
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE :=

.PHONY: help setup chromium lint validate build test unit demo demo-journeys bench clean

help:
	@echo "make demo   - the whole incident locally (no AWS account, no Slack workspace)"
	@echo "make test   - lint, template checks, sam build and the whole test suite"
	@echo "make bench  - cold starts, latencies and cost, printed and saved to bench/results/"
	@echo "make demo-journeys - the journeys alone: three breakages of the bookshop, HTTP and browser"

$(VENV)/.installed: requirements-dev.txt layers/incident_core/requirements.txt pyproject.toml
	@test -n "$(PY313)" || { echo "python3.13 not found: install it (pyenv install 3.13) or set PY313=/path/to/python3.13"; exit 1; }
	$(PY313) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt -e .
	touch $@

# Debian's chromium runs the browser steps (Playwright drives it; no browser download).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

setup: $(VENV)/.installed chromium

lint: setup
	ruff check .
	ruff format --check .

validate: setup
	sam validate --lint
	sam validate --lint --template browser/template.yaml
	cfn-lint template.yaml browser/template.yaml health/forwarder.yaml
	checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml -f browser/template.yaml -f health/forwarder.yaml

build: setup
	sam build

unit: setup
	pytest -q tests/unit

test: lint validate build
	pytest -q

demo: setup
	python -m demo

demo-journeys: setup
	python -m demo.journeys_demo

bench: setup build
	python -m bench

clean:
	rm -rf $(VENV) .aws-sam bench/results demo-output
