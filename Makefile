# weigrid: the two commands a user needs are `make run` and `make test`.
# Both bring up PostgreSQL and NATS (JetStream) when they are not already
# reachable on 127.0.0.1:5432 and 127.0.0.1:4222 (scripts/services.sh).

SHELL := /bin/bash
CARGO ?= cargo
# Two cores: one build at a time, two jobs.
JOBS ?= 2

.PHONY: run test services services-down build lint fmt deploy-check bench replay clean help

help:
	@echo "make run           start PostgreSQL and NATS if needed, build, load Langxia, run weigrid"
	@echo "make test          every test against real PostgreSQL and NATS, lints, deployment checks"
	@echo "make bench         benchmarks: ResolveLocation, ticket intake, ledger postings, beside their baselines"
	@echo "make replay        a year of Langxia's tickets through the real services (SCALE=1)"
	@echo "make lint          rustfmt, the house shape (layers, unit of work, test kits), clippy"
	@echo "make deploy-check  helm lint/template and Kubernetes schema validation, offline"
	@echo "make services      only start PostgreSQL and NATS;  make services-down  stops what it started"

run:
	@scripts/run.sh

test: lint deploy-check
	@scripts/test.sh

services:
	@scripts/services.sh up

services-down:
	@scripts/services.sh down

build:
	$(CARGO) build -j$(JOBS) --workspace --bins

fmt:
	$(CARGO) fmt --all

lint:
	$(CARGO) fmt --all -- --check
	python3 scripts/shape-check.py
	scripts/check-deps.sh
	$(CARGO) clippy -j$(JOBS) --workspace --all-targets -- -D warnings

deploy-check:
	@scripts/deploy-check.sh

bench:
	@scripts/bench.sh

SCALE ?= 1
replay:
	@scripts/replay.sh --scale $(SCALE)

clean:
	$(CARGO) clean
	rm -rf .tools
