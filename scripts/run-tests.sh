#!/bin/sh
# The whole suite on SQLite, then again on PostgreSQL and Redis when they answer on loopback.
# Under CI=true a missing PostgreSQL or Redis is a failure, not a skip.
set -eu
VENV=.venv
PG_URL=${CRISISGOV_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/crisisgov}
REDIS=${CRISISGOV_TEST_REDIS_URL:-redis://127.0.0.1:6379/15}

echo "== tests on SQLite"
env -u DATABASE_URL -u REDIS_URL $VENV/bin/pytest "$@"

if $VENV/bin/python scripts/service-up.py postgres "$PG_URL" && $VENV/bin/python scripts/service-up.py redis "$REDIS"; then
  echo "== tests on PostgreSQL and Redis"
  DATABASE_URL=$PG_URL REDIS_URL=$REDIS $VENV/bin/pytest "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL or Redis did not answer on loopback: under CI that is a failure" >&2
  exit 1
else
  echo "== PostgreSQL or Redis not answering on loopback: that leg is skipped (a failure under CI=true)"
fi
