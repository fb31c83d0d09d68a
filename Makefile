# One entry point for set-up, tests, the build and the local demo.
# Every target installs what it needs, so each works on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
PROMPT ?= a lighthouse at dawn, oil painting

.PHONY: help venv node build lint test test-python lint-resolvers test-terraform checkov demo bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	test -x $(PY) || "$$(local/tools/find-python.sh)" -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

venv: $(VENV)/.installed ## Create the Python virtual environment

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

node: node_modules/.installed ## Install the pinned npm dev dependencies (eslint, AppSync plugin)

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || "$$(local/tools/find-python.sh)" -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

build: venv ## Build the Lambda artifacts into dist/ (no work when nothing changed)
	$(PY) build.py

lint: venv ## ruff lint + format check, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test-python: venv node build ## pytest: handlers, build, resolvers (under Node), end-to-end, demo
	$(VENV)/bin/pytest

lint-resolvers: node ## eslint with @aws-appsync/eslint-plugin over the resolvers
	npx --no-install eslint modules/api/resolvers

test-terraform: build ## terraform fmt, validate (every environment), test (every module)
	tests/tools/terraform-tests.sh

checkov: $(CHECKOV_VENV)/.installed ## checkov over the whole tree, zero failed checks
	$(CHECKOV_VENV)/bin/checkov --directory . --framework terraform --quiet --compact \
	  --skip-path node_modules --skip-path '\.terraform' --skip-path '\.venv'

test: lint test-python lint-resolvers test-terraform checkov ## Everything CI runs

demo: venv node ## Generate one picture end to end locally: make demo PROMPT="..."
	$(PY) -m local.demo --prompt "$(PROMPT)" $(DEMO_ARGS)

bench: venv build ## Benchmarks whose figures the README quotes (paired Lambda-faithful cold start first)
	$(PY) -m local.benchmark

clean: ## Remove build outputs and local environments
	rm -rf dist .build $(VENV) $(CHECKOV_VENV) node_modules .tfcli

.PHONY: soak
soak: venv node build ## Bounded soak of the local stack with faults: make soak SOAK_ARGS="--users 8 --series 1,8,32"
	$(PY) -m local.soak $(SOAK_ARGS)
