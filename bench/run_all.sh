#!/usr/bin/env bash
# Every benchmark once, quickly, with small defaults (make bench); each prints its figures.
# The full-size runs and their recorded figures: docs/benchmarks.md. Needs what scripts/setup.sh
# installs (the Gatling jar, Java, wrk, h2load, AIPerf's venv); run one bench alone with the command printed.
set -uo pipefail
cd "$(dirname "$0")/.."
export AIRFLOW_HOME=${AIRFLOW_HOME:-$(pwd)/airflow_home}
PY=.venv/bin/python
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=()
bench() {  # bench NAME COMMAND...
  local name=$1; shift
  echo
  echo "== $name: $*"
  local started=$SECONDS
  if "$@"; then echo "-- $name: done in $((SECONDS - started)) s"
  else echo "-- $name: FAILED (exit $?)"; failed+=("$name"); fi
}

bench strategies $PY bench/strategies.py
bench "parse (log of 200k requests)" $PY bench/parse_make_log.py "$TMP/sim.log" --requests 200000
if [[ -x /tmp/bench-perfsize/bin/python ]]; then
  bench "parse vs perfsize" $PY bench/parse_benchmark.py "$TMP/sim.log" --repeat 1
else
  echo "   (against perfsize: needs /tmp/bench-perfsize, see bench/parse_benchmark.py; ours alone:)"
  bench "parse (ours)" bash -c ".venv/bin/sagemaker-sizing parse --indent 0 '$TMP/sim.log' | head -c 300; echo"
fi
bench "emulator throughput" $PY bench/emulator_throughput.py --seconds 2 --rate 500
bench "LLM stream rate" $PY bench/llm_stream_rate.py --sequences 100 300 --seconds 5
bench "LLM knee (AIPerf)" $PY bench/llm_knee.py --seconds 20 --rates 0.8 1.0 1.2
bench "gatling max TPS" $PY bench/gatling_max_tps.py --tps 250 500 --seconds 5 --warm-up 1
bench "AIPerf cost and max rate" $PY bench/aiperf_cost.py --rates 10 50 --seconds 5
bench "orchestration overhead" $PY bench/orchestration_overhead.py --mode dags-test

echo
if ((${#failed[@]})); then
  echo "benches that failed: ${failed[*]}"
  exit 1
fi
echo "every bench ran"
