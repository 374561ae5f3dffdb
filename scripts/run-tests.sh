#!/bin/sh
# The whole suite on SQLite, then again on PostgreSQL (with Redis as the cache when it answers).
# Under CI=true a missing PostgreSQL or Redis is a failure, not a skip.
set -eu
VENV=.venv
PG_URL=${CRISISGOV_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/crisisgov}
REDIS=${CRISISGOV_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}
up() { $VENV/bin/python scripts/service-up.py "$1" "$2"; }

echo "== tests on SQLite"
env -u DATABASE_URL -u REDIS_URL $VENV/bin/pytest "$@"

redis_url=""
if up redis "$REDIS"; then
  redis_url=$REDIS
elif [ "${CI:-}" = "true" ]; then
  echo "Redis did not answer on loopback: under CI that is a failure" >&2; exit 1
fi
if up postgres "$PG_URL"; then
  echo "== tests on PostgreSQL${redis_url:+ and Redis}"
  DATABASE_URL=$PG_URL REDIS_URL=$redis_url $VENV/bin/pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL did not answer on loopback: under CI that is a failure" >&2; exit 1
else
  echo "== PostgreSQL does not answer on loopback: that leg is skipped (a failure under CI=true)"
fi
