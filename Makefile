# The two commands a newcomer needs: `make demo` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
CRISISGOV := $(VENV)/bin/crisisgov
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint bench bench-tools serve clean browser

$(STAMP): pyproject.toml
	@test -x $(PY) || { python=$$(scripts/find-python.sh) && "$$python" -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# Debian's Chromium drives the browser tests (Playwright never downloads a browser here); the
# sensor tests start their own Mosquitto brokers, the reservation chaos test its own Redis.
browser:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q . && \
		{ command -v mosquitto >/dev/null 2>&1 || test -x /usr/sbin/mosquitto; } && \
		command -v redis-server >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk mosquitto \
		redis-server >/dev/null)

demo: $(STAMP)
	$(CRISISGOV) demo

test: $(STAMP) browser lint
	scripts/run-tests.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check crisisgov tests benchmarks
	$(VENV)/bin/ruff format --check crisisgov tests benchmarks
	$(VENV)/bin/mypy crisisgov/kernel
	$(VENV)/bin/lint-imports

# The surge benchmark drives the deployed processes with wrk and measures Redis with its own
# redis-benchmark (Debian's redis-tools, beside the server).
bench-tools:
	@command -v wrk >/dev/null 2>&1 && command -v redis-benchmark >/dev/null 2>&1 && \
		command -v redis-server >/dev/null 2>&1 || \
		(apt-get update -qq && apt-get install -y -qq wrk redis-tools redis-server >/dev/null)

bench: $(STAMP) bench-tools
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) var/*.sqlite3* var/static
