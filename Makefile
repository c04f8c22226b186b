# The two commands, each starting from a fresh clone with only Python 3.11+:
#   make run    install, then run the service (API, worker, embedded Redis without REDIS_URL)
#   make test   install with the dev tools, then lint and run the whole suite (CI: .ci/run)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test bench bench-profiles bench-mixed bench-growth bench-events bench-notifications bench-bookmarks bench-recommend bench-sections eval lock audit clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed: make PYTHON=python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run
	$(PIP) install -c constraints.txt -e '.[dev]'
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/tanktop run

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

DATA ?= ../shared/data/ml-100k

# Every benchmark below, one after another, into bench-results.md (needs wrk: apt-get
# install wrk; MovieLens at DATA for the recommendation one). About 70 minutes.
bench: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.all --data $(DATA)

# Profile GET/PATCH against a bare Flask handler.
bench-profiles: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.profiles

# The mixed workload (80% event writes) at increasing load, 1, 2 and 4 web processes, and
# on a local Redis Cluster.
bench-mixed: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.mixed

# Event write and recommendation latency and memory per user at 10k, 100k and 1M users
# (synthetic), with their slope per tenfold growth.
bench-growth: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.growth

# Event import (1M events), Redis memory per event, event POST against a bare handler.
bench-events: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.events

# Webhook fan-out (10,000 requests, 1,000 matching) with 1, 2 and 4 workers.
bench-notifications: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.notifications

bench-bookmarks: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.bookmarks

# MovieLens replay rate, similarity memory per item, GET recommend and event POST with
# similarity maintenance (needs wrk and ../shared/data/ml-100k, or DATA=dir).
bench-recommend: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.recommend --data $(DATA)

# GET sectionlist/user/<uid>/ (12 definitions, users with 500 events) and GET section/<id>/
# against a bare handler (needs wrk).
bench-sections: $(VENV)/.installed-dev
	$(BIN)/python -m tests.bench.sections

# Recommendation quality on MovieLens 100K (the SAR quick-start protocol).
eval: $(VENV)/.installed-run
	$(BIN)/tanktop eval movielens --data $(DATA)

# Re-pin every dependency: resolve in a throwaway venv and write constraints.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip --disable-pip-version-check -q install -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt
	rm -rf .lock-venv

# Known vulnerabilities in the pinned dependencies (constraints.txt, every one of them),
# with pip-audit in a throwaway venv. --strict: a dependency it could not check fails the
# audit (this host's package mirror serves no vulnerability data, so it fails here; see
# README, Dependencies).
audit:
	rm -rf .audit-venv && $(PYTHON) -m venv .audit-venv
	.audit-venv/bin/python -m pip --disable-pip-version-check -q install pip-audit
	.audit-venv/bin/pip-audit --strict --no-deps --disable-pip -r constraints.txt; \
		status=$$?; rm -rf .audit-venv; exit $$status

clean:
	rm -rf $(VENV)
