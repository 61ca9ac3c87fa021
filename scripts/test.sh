#!/usr/bin/env bash
# The project's test command (after set-up): lint, type-check, then pytest.
#
#   bash scripts/test.sh            # make test: everything, then the DAG tests again on PostgreSQL
#   bash scripts/test.sh --fast     # make check: the same lint and types, and only the tests without
#                                   # the markers e2e, gatling, slow (no JVM, emulator, DAG run or
#                                   # server: tests/conftest.py fails one that starts any unmarked)
#   bash scripts/test.sh ARGS...    # pytest ARGS after lint and types
set -uo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME=${AIRFLOW_HOME:-$(pwd)/airflow_home}
fast=0
if [[ ${1:-} == --fast ]]; then
  fast=1
  shift
fi
started=$SECONDS
status=0
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check . || status=1
echo "== mypy"; .venv/bin/mypy || status=1
if ((fast)); then
  echo "== pytest (fast tier: not e2e, gatling or slow)"
  SAGEMAKER_SIZING_FAST_TIER=1 .venv/bin/pytest -m "not e2e and not gatling and not slow" "$@"
else
  echo "== pytest"
  .venv/bin/pytest "$@"
fi
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure here" >&2
  rc=1
fi
[[ $rc -ne 0 ]] && status=$rc
# The DAG tests again with the metadata DB on PostgreSQL, as in production (whole suite only).
# A separate process: Airflow reads its DB settings once, at import.
if [[ $fast -eq 0 && $# -eq 0 ]]; then
  echo "== pytest (Airflow metadata DB on PostgreSQL)"
  # A server this run starts is stopped after it; one that was already up stays up.
  pg_was_up=0
  [[ -f $(bash scripts/postgres.sh dir)/data/postmaster.pid ]] && pg_was_up=1
  if pg_url=$(bash scripts/postgres.sh migrate); then
    SAGEMAKER_SIZING_EXPECT_DB=postgresql AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$pg_url \
      .venv/bin/pytest tests/deploy/test_metadata_db.py tests/dags tests/e2e -k "metadata_db or dag or perfsize" \
      || status=1
  else
    status=1
  fi
  ((pg_was_up)) || bash scripts/postgres.sh stop || true
fi
echo "== $( ((status)) && echo FAILED || echo passed ) in $((SECONDS - started)) s"
exit $status
