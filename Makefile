# Quick start: `make demo` (offline tour) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench bench-national bench-distributed faults clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/gongkai demo

# As root (CI), a real PostgreSQL server is installed and started for the archive tests, and
# redis-server installed for the distributed tests; elsewhere set GONGKAI_TEST_PG to a server
# URL and install redis-server, or those tests report themselves skipped.
test: setup
	$(BIN)/ruff check .
	@if [ "$$(id -u)" = 0 ]; then bash .ci/redis.sh ; fi
	@if [ -z "$$GONGKAI_TEST_PG" ] && [ "$$(id -u)" = 0 ]; then \
		GONGKAI_TEST_PG=$$(bash .ci/postgres.sh) ; export GONGKAI_TEST_PG ; \
	fi ; $(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python -m bench.extract_bench
	$(BIN)/python -m bench.real_bench
	$(BIN)/python -m bench.crawl_bench
	$(BIN)/python -m bench.scheduler_bench
	$(BIN)/python -m bench.research_bench
	$(BIN)/python -m bench.web_bench

# the national benchmark: 3,000 simulated sites on their own 127.x.y.z addresses, bare Scrapy vs gongkai crawl
# vs unchanged recrawl (long: not part of `make bench`; `python -m bench.national_bench --quick`)
bench-national: setup
	$(BIN)/python -m bench.national_bench

# one distributed crawl with 1, 2 and 4 workers (real Redis; PostgreSQL when $GONGKAI_TEST_PG)
bench-distributed: setup
	$(BIN)/python -m bench.distributed_bench

# a randomized campaign: 50 SIGKILLs at random moments of real crawls, then every hostile server
faults: setup
	$(BIN)/python -m tests.faults.campaign --kills 50

clean:
	rm -rf $(VENV) demo-output bench/out
