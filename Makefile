# weigrid: the two commands a user needs are `make run` and `make test`.
# Both bring up PostgreSQL and NATS (JetStream) when they are not already
# reachable on 127.0.0.1:5432 and 127.0.0.1:4222 (scripts/services.sh).

SHELL := /bin/bash
CARGO ?= cargo
# Two cores: one build at a time, two jobs.
JOBS ?= 2

.PHONY: run test deny fuzz faults services services-down build lint fmt deploy-check images bench replay clean help

help:
	@echo "make run           start PostgreSQL and NATS if needed, build, load Langxia, run weigrid"
	@echo "make test          every test against real PostgreSQL and NATS, lints, deployment checks"
	@echo "make deny          the supply chain: cargo deny (licences, bans, sources; advisories where the RustSec database can be fetched)"
	@echo "make fuzz          every fuzz target for FUZZ_SECONDS each (default 600); make test runs each for FUZZ_SHORT_SECONDS (10)"
	@echo "make faults        the fault suite at full size: NATS, PostgreSQL and each service killed under 10,000 operations; one table"
	@echo "make bench         benchmarks: ResolveLocation, ticket intake, ledger postings, exchange envelopes, analytic-event ingest, beside their baselines"
	@echo "make replay        a year of Langxia's tickets through the real services, with and without supervision, side by side (SCALE=1)"
	@echo "make lint          rustfmt, the house shape (layers, unit of work, test kits), clippy"
	@echo "make deploy-check  helm lint/template, Kubernetes schema validation and each binary's --check-config on every render, offline"
	@echo "make images        every service's image, with docker, podman or buildah (IMAGES_FLAGS=--dry-run prints the commands)"
	@echo "make services      only start PostgreSQL and NATS;  make services-down  stops what it started"

run:
	@scripts/run.sh

# A short fuzz run of every target (their regressions replayed first) ends it.
FUZZ_SECONDS ?= 600
FUZZ_SHORT_SECONDS ?= 10
test: lint deny deploy-check
	@scripts/test.sh
	@FUZZ_SECONDS=$(FUZZ_SHORT_SECONDS) scripts/fuzz.sh

deny:
	@scripts/deny.sh

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh

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
	python3 scripts/shape-check.py --self-test
	scripts/check-deps.sh
	$(CARGO) clippy -j$(JOBS) --workspace --all-targets -- -D warnings
	$(CARGO) clippy -j$(JOBS) -p weigrid-simulate --features replay --all-targets -- -D warnings

# The deploy check starts every render's configuration with the service
# binaries (--check-config); it finds them here (a CARGO_TARGET_DIR moves them).
SERVICE_BINS := grid-registry ticket-dispatch points video-ingest case-review case-exchange edge
WEIGRID_BIN_DIR ?= $(or $(CARGO_TARGET_DIR),target)/debug

deploy-check:
	$(CARGO) build -j$(JOBS) $(foreach bin,$(SERVICE_BINS),--bin $(bin))
	# The edge as its image is built, with S3 photo storage (the prod renders use it).
	$(CARGO) build -j$(JOBS) -p edge --bin edge --features s3
	# Video ingest as its image is built, with S3 evidence storage (likewise).
	$(CARGO) build -j$(JOBS) -p video-ingest --bin video-ingest --features s3
	@WEIGRID_BIN_DIR=$(WEIGRID_BIN_DIR) scripts/deploy-check.sh

# Every service's image, ghcr.io/weigrid/<service>:<chart appVersion>, with
# the container engine that is here; IMAGES_FLAGS=--dry-run prints the
# commands, --push pushes (IMAGE_REGISTRY, IMAGE_TAG change the names).
IMAGES_FLAGS ?=
images:
	@scripts/images.sh $(IMAGES_FLAGS)

bench:
	@scripts/bench.sh

faults:
	@scripts/faults.sh

SCALE ?= 1
replay:
	@scripts/replay.sh --scale $(SCALE)

clean:
	$(CARGO) clean
	rm -rf .tools
