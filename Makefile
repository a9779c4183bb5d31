# Bookshelf developer commands. `make` or `make help` lists them.
#
# Every tool that is not part of the machine (SAM CLI, cfn-lint, cargo-lambda,
# zig, DynamoDB Local) is installed by `make setup` into git-ignored folders of
# this checkout: .tools/venv/ (Python) and node_modules/ (npm).

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
# The steps of `make test` must run in the order written, even under -j.
.NOTPARALLEL:
.SUFFIXES:
MAKEFLAGS += --no-builtin-rules

VENV_BIN := $(CURDIR)/.tools/venv/bin
SAM := $(VENV_BIN)/sam
# Optional region for sam-build/deploy, e.g. `make deploy REGION=eu-west-1`
# (samconfig.toml's default is us-east-1).
REGION ?=
SAM_REGION_FLAG := $(if $(REGION),--region $(REGION))
# Optional samconfig.toml environment, e.g. `make deploy CONFIG_ENV=prod` (dev, prod;
# none = the default stack "bookshelf").
CONFIG_ENV ?=
SAM_ENV_FLAG := $(if $(CONFIG_ENV),--config-env $(CONFIG_ENV))

# Colour for people, plain text in CI logs; a CARGO_TERM_COLOR from the
# environment wins. CI builds from scratch once, so incremental state is waste.
ifneq ($(filter true 1 yes,$(CI)),)
export CARGO_TERM_COLOR ?= never
export CARGO_INCREMENTAL ?= 0
else
export CARGO_TERM_COLOR ?= auto
endif
# No SAM CLI usage reports (and no first-run telemetry notice).
export SAM_CLI_TELEMETRY ?= 0

# Targets that run the venv's tools: `sam` calls `cargo lambda`, which links
# with zig through `python3 -m ziglang`, so the venv's bin must come first.
validate policy-test sam-build deploy events: export PATH := $(VENV_BIN):$(PATH)

.PHONY: help setup setup-release dev fmt lint validate policy-test test contract-test browser-test sam-build deploy events bench bench-runner clean clean-tools scale-bench

help: ## List the targets
	@echo 'Usage: make <target>'
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-14s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: ## Install the dev tools into .tools/ and node_modules/ (idempotent, quick once done)
	@bash scripts/setup.sh

setup-release: ## setup, plus the aarch64-unknown-linux-gnu Rust target for sam-build
	@bash scripts/setup.sh --release

dev: setup ## Run the API locally, without Docker, rebuilding on every change (local runner: API Gateway, Lambda, DynamoDB Local)
	cargo run -p bookshelf-local -- serve --watch $(DEV_ARGS)

fmt: ## Format all Rust code in place
	cargo fmt --all

lint: ## cargo fmt --check, and clippy on every target with warnings denied
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

validate: setup ## sam validate --lint: template.yaml through cfn-lint (offline)
	$(SAM) validate --lint

# The template as policy: sam validate --lint (cfn-lint), tests/policy (the
# template transformed offline by aws-sam-translator, asserted on), and
# checkov with the skips .checkov.yaml lists and explains. No AWS account.
policy-test: setup ## sam validate --lint, the policy tests of template.yaml (tests/policy), and checkov
	$(SAM) validate --lint
	$(VENV_BIN)/python -m pytest -p no:cacheprovider -q tests/policy
	BC_SKIP_MAPPING=TRUE $(CURDIR)/.tools/checkov/bin/checkov --config-file .checkov.yaml

# The end-to-end tests run the function binaries, and `cargo nextest` builds
# test targets only: the binaries are built first, in the same invocation as
# every test target, so that the features dev-dependencies add (tokio's, …)
# are resolved once and nextest, the browser tests and schemathesis reuse one
# build instead of rebuilding the dependency tree for each.
BUILD_ALL := cargo build --workspace --all-targets
# The local runner as that build made it: `cargo run -p bookshelf-local` would
# resolve features for that one package and rebuild half the tree twice.
RUNNER := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug/bookshelf-local
test: setup lint validate policy-test ## Everything CI checks: lint, validate, policy-test, then all tests (Rust, then the web page in chromium) against DynamoDB Local
	$(BUILD_ALL)
	$(RUNNER) with-dynamodb -- cargo nextest run --workspace
	$(browser-tests)
	bash scripts/schemathesis.sh

# The web page's browser tests (tests/browser/, node's test runner): Debian's
# chromium installed if missing, every function binary and the local runner
# built (the tests start `bookshelf-local serve --no-build`), then the tests
# next to their own DynamoDB Local. Screenshots land in test-artifacts/.
define browser-tests
bash scripts/setup.sh --browser
$(BUILD_ALL)
$(RUNNER) with-dynamodb -- node --test tests/browser/*.test.mjs
endef

contract-test: setup ## Only schemathesis: the local runner against openapi.yaml, every check, fixed seed
	$(BUILD_ALL)
	bash scripts/schemathesis.sh

browser-test: setup ## Only the browser tests of the web page (Playwright + chromium, against the local runner)
	$(browser-tests)

sam-build: setup-release ## sam build: arm64 release bootstraps of every function in .aws-sam/build/ (slow: LTO)
	$(SAM) build $(SAM_ENV_FLAG) $(SAM_REGION_FLAG)

deploy: sam-build ## sam build && sam deploy (stack "bookshelf", or CONFIG_ENV=dev|prod; asks before executing a prod or default change set)
	$(SAM) deploy $(SAM_ENV_FLAG) $(SAM_REGION_FLAG)

events: setup ## Regenerate events/*.json from `sam local generate-event`
	$(VENV_BIN)/python scripts/gen-events.py

# Extra arguments for the benchmark, e.g. `make bench BENCH_ARGS=--quick`
# (`cargo run -p bookshelf-bench -- --help` lists them).
BENCH_ARGS ?=

bench-runner: setup ## The local runner's throughput with release binaries, scaled out vs one instance per function; writes docs/RUNNER-BENCHMARK.md (~5 min)
	cargo build --release -p bookshelf-local -p get-book -p create-book
	mkdir -p target/bench
	cargo run --release -q -p bookshelf-bench --bin runner-throughput -- $(BENCH_ARGS) 2> target/bench/runner-throughput.log

bench: setup-release ## Measure every function under Lambda's CPU model (128 MB, whole CPU, 1,769 MB) over TLS: size, cold starts, warm latency, CPU per request, memory, profiles, vs a naive build, a Python peer and the builds of bench/cuts.txt; writes docs/BENCHMARKS.md (root; about 30 min of measuring after 20 min of builds; BENCH_ARGS=--quick)
	bash bench/setup.sh
	bash bench/setup-python.sh
	mkdir -p target/bench
	bash bench/build-variant.sh --cuts > target/bench/variant-args
	cargo run --release -q -p bookshelf-bench --bin bookshelf-bench -- $$(cat target/bench/variant-args) $(BENCH_ARGS)

# Extra arguments for the scale benchmark, e.g. `make scale-bench SCALE_ARGS="--seed-books 100000"`
# (`cargo run -p bookshelf-scale -- --help` lists them).
SCALE_ARGS ?=

scale-bench: setup ## A million generated books through bookshelf-admin import into DynamoDB Local: listing p50/p99 and costs at N = 1 and the default ShelfShards, and the computed write capacity; writes docs/SCALE.md (long: the import runs at DynamoDB Local's pace)
	cargo run --release -q -p bookshelf-scale -- $(SCALE_ARGS)

clean: ## Remove build outputs (target/, .aws-sam/)
	cargo clean
	rm -rf .aws-sam

clean-tools: ## Remove the installed dev tools (.tools/, node_modules/); `make setup` brings them back
	rm -rf .tools node_modules
