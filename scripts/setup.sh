#!/usr/bin/env bash
# One idempotent set-up for every entry point (make demo, make test, CI).
# Each stage records a hash of its inputs under .setup/ and is skipped when they have not changed,
# so a second run takes a fraction of a second per stage.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STAMPS=$ROOT/.setup
mkdir -p "$STAMPS"
PY=${PYTHON:-python3}
log() { printf '[setup] %s\n' "$*"; }
# shellcheck source=scripts/maven.sh
source "$ROOT/scripts/maven.sh"

# stage NAME INPUT... : true when the inputs changed since the stage last succeeded
changed() {
  local name=$1; shift
  local sum
  sum=$(cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1)
  [[ -f $STAMPS/$name && $(cat "$STAMPS/$name") == "$sum" ]] && return 1
  echo "$sum" >"$STAMPS/$name.pending"
}
done_stage() { mv "$STAMPS/$1.pending" "$STAMPS/$1"; }

# 1. The system (Debian) packages every test, demo and bench needs, installed here and nowhere
# else: a test or bench that misses one fails with a message pointing here.
#    Java 17 and Maven: the Gatling jar. postgresql: the DAG tests on a production-like metadata DB
#    (scripts/postgres.sh). redis-server: the Celery broker of local scale-out runs
#    (scripts/redis.sh). chromium: the UI's browser test. wrk and nghttp2-client (h2load): the
#    emulator bench.
SYSTEM_PACKAGES=(openjdk-17-jdk-headless maven postgresql redis-server chromium wrk nghttp2-client)
# What each package must put on the machine; the stage re-checks these even when stamped.
SYSTEM_FILES=(/usr/bin/java /usr/bin/mvn /usr/bin/redis-server /usr/bin/chromium /usr/bin/wrk /usr/bin/h2load)
system_ready() {
  local f
  for f in "${SYSTEM_FILES[@]}"; do [[ -x $f ]] || return 1; done
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}
if changed system <(printf '%s\n' "${SYSTEM_PACKAGES[@]}") || ! system_ready; then
  missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    install=(apt-get install -y -qq --no-install-recommends "${missing[@]}")
    if [[ $(id -u) -eq 0 ]]; then sudo=()
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo=(sudo)
    else
      log "missing system packages: ${missing[*]}"
      log "install them as root (then run make setup again): apt-get install --no-install-recommends ${missing[*]}"
      exit 1
    fi
    log "installing system packages with apt-get: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" "${install[@]}" >/dev/null
  fi
  if ! system_ready; then
    log "system packages installed, yet one of ${SYSTEM_FILES[*]} or /usr/lib/postgresql/*/bin/initdb is missing"
    exit 1
  fi
  if ! java -version 2>&1 | grep -qE 'version "(1[7-9]|2[0-9])'; then
    log "java on PATH is older than 17 ($(command -v java)): select Java 17 (update-alternatives --config java)"
    exit 1
  fi
  [[ -f $STAMPS/system.pending ]] && done_stage system
fi

# 2. Python virtualenv from the lock files (same versions on every machine): what production runs
# (requirements.lock, as the image), the local SageMaker (the [local] extra) and the dev tools
# (pytest, ruff, mypy: make check / make test).
if [[ ! -x .venv/bin/python ]]; then
  log "creating .venv"
  "$PY" -m venv .venv
fi
if changed python requirements.lock requirements-local.lock requirements-dev.lock pyproject.toml; then
  log "installing Python packages from requirements.lock, requirements-local.lock (the [local] extra) and requirements-dev.lock"
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.8"
  .venv/bin/uv pip sync -q --compile-bytecode --python .venv/bin/python \
    requirements.lock requirements-local.lock requirements-dev.lock
  .venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e ".[local]"
  done_stage python
fi

# 3. The project's Gatling jar, rebuilt only when its sources change.
if [[ -f include/gatling/pom.xml ]]; then
  if changed gatling include/gatling/pom.xml $(find include/gatling/src -type f | sort) \
     || [[ ! -f include/gatling/target/sagemaker-sizing-gatling.jar ]]; then
    log "building the Gatling jar with Maven"
    (
      # One build at a time: set-ups started side by side share target/. Old jars go first, or
      # the shade plugin would take the previous fat jar as its input.
      flock 9
      G=$ROOT/include/gatling/target
      rm -f "$G"/*.jar "$G"/*.jsa
      cd include/gatling && maven -DskipTests package
      # Class-data sharing archive of a short training run: halves each load step's JVM start-up.
      # Optional (a step runs without it); recorded with the jar's absolute path, as steps use it.
      rm -rf "$G/cds-training"
      java -XX:ArchiveClassesAtExit="$G/sagemaker-sizing-gatling.jsa" -jar "$G/sagemaker-sizing-gatling.jar" \
        --cds-training "$G/cds-training" >"$G/cds-training.log" 2>&1 \
        || { log "no class-data archive for the Gatling jar (see $G/cds-training.log)"; rm -f "$G"/*.jsa; }
      rm -rf "$G/cds-training"
    ) 9>"$STAMPS/gatling.lock"
    [[ -f $STAMPS/gatling.pending ]] && done_stage gatling
  fi
fi

# 3b. The stand-in for intuit's sagemaker-gatling jar (a user's foreign jar, for tests and docs):
# its own small Maven project under include/gatling/standin, rebuilt only when it changes.
if [[ -f include/gatling/standin/pom.xml ]]; then
  if changed gatling_standin include/gatling/standin/pom.xml $(find include/gatling/standin/src -type f | sort) \
     || [[ ! -f include/gatling/standin/target/sagemaker-gatling-standin.jar ]]; then
    log "building the sagemaker-gatling stand-in jar with Maven"
    (
      flock 9
      rm -f include/gatling/standin/target/*.jar
      cd include/gatling/standin && maven -DskipTests package
    ) 9>"$STAMPS/gatling_standin.lock"
    [[ -f $STAMPS/gatling_standin.pending ]] && done_stage gatling_standin
  fi
fi

# 3c. NVIDIA AIPerf, the load engine of LLM steps (workload "llm"), in a venv of its own
# (.aiperf/venv) from requirements-aiperf.lock, so its ~1 GB of dependencies never meet Airflow's
# (as the Gatling jar is a runtime of its own); then the offline tokenizer it loads
# (.aiperf/tokenizer, trained here from a corpus inside AIPerf: no network at run time).
if changed aiperf requirements-aiperf.lock scripts/aiperf_tokenizer.py \
   || [[ ! -x .aiperf/venv/bin/aiperf || ! -f .aiperf/tokenizer/tokenizer.json ]]; then
  log "installing AIPerf into .aiperf/venv (requirements-aiperf.lock) and making its offline tokenizer"
  [[ -x .aiperf/venv/bin/python ]] || "$PY" -m venv --without-pip .aiperf/venv
  # Compiled now: each load step starts ~7 AIPerf processes, which otherwise compile what they
  # import every time where the environment says PYTHONDONTWRITEBYTECODE (as CI here does).
  .venv/bin/uv pip sync -q --compile-bytecode --python .aiperf/venv/bin/python requirements-aiperf.lock
  HF_HUB_OFFLINE=1 .aiperf/venv/bin/python scripts/aiperf_tokenizer.py .aiperf/tokenizer >.aiperf/tokenizer.log 2>&1 \
    || { cat .aiperf/tokenizer.log; exit 1; }
  [[ -f $STAMPS/aiperf.pending ]] && done_stage aiperf
fi

# 4. AIRFLOW_HOME inside the project with a SQLite metadata DB.
export AIRFLOW_HOME=$ROOT/airflow_home
mkdir -p "$AIRFLOW_HOME"
if changed airflow_cfg scripts/airflow.cfg.template; then
  .venv/bin/python -c 'import sys; from pathlib import Path
from sagemaker_sizing.local.airflow_env import write_airflow_cfg
write_airflow_cfg(Path(sys.argv[1]), Path(sys.argv[2]))' "$AIRFLOW_HOME" "$ROOT"
  done_stage airflow_cfg
  rm -f "$STAMPS/airflow_db"
fi
if changed airflow_db requirements.lock "$AIRFLOW_HOME/airflow.cfg" || [[ ! -f $AIRFLOW_HOME/airflow.db ]]; then
  log "migrating the Airflow metadata DB"
  .venv/bin/airflow db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 \
    || { cat "$AIRFLOW_HOME/db-migrate.log"; exit 1; }
  [[ -f $STAMPS/airflow_db.pending ]] && done_stage airflow_db
fi
log "ready"
