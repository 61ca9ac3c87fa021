#!/usr/bin/env bash
# Airflow (UI on 127.0.0.1:${PORT:-8080}) with the local SageMaker. Ctrl-C, SIGTERM or `make ui-stop`
# stops both within 10 s: exec, so the signal reaches `sagemaker-sizing ui` itself (see commands/ui.py).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/sagemaker-sizing ui --port "${PORT:-8080}"
