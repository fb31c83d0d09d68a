# One entry point for set-up, tests, the build and the local demo.
# Every target installs what it needs, so each works on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
CHECKOV_VENV := .venv-checkov
PY := $(VENV)/bin/python
PROMPT ?= a lighthouse at dawn, oil painting

.PHONY: help venv node build lint test test-fast test-integration test-whole-stack test-python lint-resolvers test-terraform terraform-mocks checkov demo up bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements-dev.txt pyproject.toml
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

test-fast: venv ## The in-memory tier (pure code, moto in process): seconds; tests/tiers.py says which
	$(VENV)/bin/pytest -m "not integration and not slow" -n auto -q

# The whole-local-stack tier (end to end, wiring breaks, demo, make up, the short
# soak) is part of the integration tier; `make test-whole-stack` runs it alone.
WHOLE_STACK_TESTS := tests/local_stack tests/test_soak.py tests/test_up.py tests/test_demo.py

test-integration: venv node build ## pytest's integration and slow tiers, the whole local stack included
	$(VENV)/bin/pytest -m "integration or slow"

test-whole-stack: venv node build ## The whole-local-stack tier alone: end to end, wiring breaks, demo, make up, soak
	$(VENV)/bin/pytest $(WHOLE_STACK_TESTS)

test-python: test-fast test-integration ## All of pytest

lint-resolvers: node ## eslint with @aws-appsync/eslint-plugin over the resolvers
	npx --no-install eslint modules/api/resolvers

test-terraform: build ## terraform fmt, validate (every environment), test (every module)
	tests/tools/terraform-tests.sh

terraform-mocks: ## Copy tests/terraform/mocks/aws.tfmock.hcl (the one fake AWS account) into each tested module with providers: its tests/mocks/
	for dir in modules/*/ modules/*/modules/*/ terraform/stack/; do \
	  if compgen -G "$${dir}tests/*.tftest.hcl" >/dev/null && grep -q required_providers "$${dir}versions.tf"; then \
	    mkdir -p "$${dir}tests/mocks" && cp tests/terraform/mocks/aws.tfmock.hcl "$${dir}tests/mocks/"; \
	  fi; \
	done

checkov: $(CHECKOV_VENV)/.installed ## checkov over the whole tree, zero failed checks
	$(CHECKOV_VENV)/bin/checkov --directory . --framework terraform --quiet --compact \
	  --skip-path node_modules --skip-path '\.terraform' --skip-path '\.venv'

# The parts are independent: run them two at a time (this machine has 2 cores),
# each one's output printed whole when it ends. venv, node and build run once.
TEST_JOBS ?= 2
test: ## Everything CI runs, the independent parts in parallel (TEST_JOBS=2)
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target \
	  lint lint-resolvers test-fast test-integration test-terraform checkov

demo: venv node build ## Generate one picture end to end locally: make demo PROMPT="..."
	$(PY) -m local.demo --prompt "$(PROMPT)" $(DEMO_ARGS)

up: venv node build ## Run the whole local stack in the foreground; writes local-outputs.json (Ctrl-C stops)
	exec $(PY) -m local.up $(UP_ARGS)

bench: venv build ## Benchmarks whose figures the README quotes (paired Lambda-faithful cold start first); BENCH_ARGS=--latency adds webhook → subscriber on the whole local stack
	$(PY) -m local.benchmark $(BENCH_ARGS)

clean: ## Remove build outputs and local environments
	rm -rf dist .build $(VENV) $(CHECKOV_VENV) node_modules .tfcli

.PHONY: soak
soak: venv node build ## Bounded soak of the local stack with faults: make soak SOAK_ARGS="--users 8 --series 1,8,32"
	$(PY) -m local.soak $(SOAK_ARGS)
