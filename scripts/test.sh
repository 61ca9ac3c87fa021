#!/usr/bin/env bash
# The project's test command (after set-up): lint, type-check, then pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME=${AIRFLOW_HOME:-$(pwd)/airflow_home}
status=0
echo "== ruff"; .venv/bin/ruff check . && .venv/bin/ruff format --check . || status=1
echo "== mypy"; .venv/bin/mypy || status=1
echo "== pytest"
.venv/bin/pytest "$@"
rc=$?
if [[ $rc -eq 5 ]]; then
  echo "pytest collected no tests: that is a failure here" >&2
  rc=1
fi
[[ $rc -ne 0 ]] && status=$rc
exit $status
