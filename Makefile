# The two quickstart commands are `make run` and `make test`; everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_BIN := node_modules/.bin

.PHONY: help install build run team-sync event-publisher projector migrate rebuild audit bench bench-quick bench-read-side bench-kafka import-accounts test test-reliability typecheck lint jest kafka-start kafka-stop kafka-status clean

help:
	@echo "make run              start the service on http://127.0.0.1:8080 with team-sync and the local Kafka;"
	@echo "                      it holds the terminal (Ctrl-C stops it). The first run takes about 1-3 minutes"
	@echo "                      (npm ci, tsc, the broker's jars from Maven Central); later ones 20-60 s (tsc)"
	@echo "make test             type-check, lint and run every test (starts the local Kafka if none answers;"
	@echo "                      needs Chromium for the settings page test)"
	@echo "make test-reliability the reliability suite at full scale (kill -9 x 20, Postgres and Kafka outages, a 5-minute"
	@echo "                      soak; about 25 minutes; own Postgres cluster and broker) and its report"
	@echo "                      bench/results/reliability.md (make test runs it at a quick scale)"
	@echo "make install          npm ci (make run and make test do it when package-lock.json changed)"
	@echo "make build            compile TypeScript to dist/"
	@echo "make typecheck / lint / jest   the three parts of make test (JEST_ARGS=... passes arguments to jest)"
	@echo "make migrate          create the database if missing and apply migrations"
	@echo "make rebuild          rebuild the read models from position zero and swap them in (PROJECTIONS=scim for one;"
	@echo "                      it runs scim-audit rebuild)"
	@echo "make audit ARGS=\"...\"  the scim-audit tool: history, as-of, export, verify-export, verify, rebuild, republish"
	@echo "                      (ARGS=\"--help\" lists them; npx scim-audit ... runs it from the sources)"
	@echo "make team-sync / event-publisher / projector   run one component alone"
	@echo "make import-accounts FILE=f.csv   register pre-existing platform accounts (email, username, displayName)"
	@echo "make bench            every benchmark of bench/ at full size (own Postgres cluster; long); results in bench/results/"
	@echo "make bench-quick      the same at reduced sizes (under 3 minutes once the seeded templates exist)"
	@echo "make bench-read-side  projection lag and read-your-writes wait under load (bench/results/read-side.md)"
	@echo "make bench-kafka      publish throughput and end-to-end lag to team-sync (bench/results/kafka.md)"
	@echo "make kafka-start / kafka-stop / kafka-status   the local single-node Kafka broker"
	@echo "make clean            remove dist/ and test-artifacts/"
	@echo "make help             this list"

node_modules: package.json package-lock.json
	@echo "== installing npm dependencies (npm ci: about a minute the first time)"
	npm ci --no-audit --no-fund
	@touch node_modules

install: node_modules

build: node_modules
	@echo "== compiling TypeScript to dist/ (tsc: 10-60 s)"
	@$(NODE_BIN)/tsc -p tsconfig.build.json

run: build
	@bash scripts/run-local.sh

# Each component alone, for scale (the API then runs with RUN_PROJECTIONS=false / RUN_PUBLISHER=false).
team-sync: build
	node dist/services/team-sync/main.js

event-publisher: build
	node dist/services/event-publisher/main.js

projector: build
	node dist/services/projector/main.js

migrate: build
	node dist/scripts/migrate.js

rebuild: build
	node dist/services/audit/main.js rebuild $(PROJECTIONS)

audit: build
	@node dist/services/audit/main.js $(ARGS)

import-accounts: build
	@test -n "$(FILE)" || { echo "usage: make import-accounts FILE=accounts.csv|accounts.json"; exit 2; }
	node dist/services/accounts-cli/main.js "$(FILE)"

typecheck: node_modules
	$(NODE_BIN)/tsc --noEmit -p .

lint: node_modules
	$(NODE_BIN)/eslint --max-warnings 0 .

jest: node_modules
	@mkdir -p test-artifacts
	@bash scripts/with-kafka.sh $(NODE_BIN)/jest --json --outputFile=test-artifacts/jest-results.json $(JEST_ARGS)

test: typecheck lint jest

# Issue 13's reliability suite at the issue's numbers (make test runs the same scenarios at
# RELIABILITY_SCALE=quick), then its report from test-artifacts/reliability/*.json.
test-reliability: node_modules
	@rm -rf test-artifacts/reliability
	@mkdir -p test-artifacts
	@scale=$${RELIABILITY_SCALE:-full}; \
	RELIABILITY_SCALE=$$scale bash scripts/with-kafka.sh $(NODE_BIN)/jest --selectProjects reliability --runInBand $(JEST_ARGS); status=$$?; \
	RELIABILITY_COMMAND="make test-reliability (RELIABILITY_SCALE=$$scale)" $(NODE_BIN)/tsx test/reliability/report.ts && exit $$status

# Benchmarks: each writes its committed result under bench/results/ (see bench/README.md).
# They run against their own Postgres cluster (pg_createcluster, port 5499) and need pgbench
# (postgresql-contrib) and the Kafka broker; BENCHES="a b" runs only those.
bench: node_modules
	$(NODE_BIN)/tsx bench/run.ts

bench-quick: node_modules
	BENCH_MODE=quick $(NODE_BIN)/tsx bench/run.ts

bench-read-side: node_modules
	$(NODE_BIN)/tsx bench/read-side.bench.ts

bench-kafka: node_modules
	$(NODE_BIN)/tsx bench/kafka.bench.ts

kafka-start:
	bash scripts/kafka.sh start

kafka-stop:
	bash scripts/kafka.sh stop

kafka-status:
	bash scripts/kafka.sh status

clean:
	rm -rf dist test-artifacts
