# The sagemaker-sizing image: the official Airflow image plus Java 17, the project's Gatling jar,
# NVIDIA AIPerf in a venv of its own (the LLM steps' load engine), its pinned Python requirements
# and its dags/plugins/include/resources.
#
#   docker compose build        (or: docker build -t sagemaker-sizing .)
#
# Layout inside: the project at /opt/airflow/project (SAGEMAKER_SIZING_HOME), so relative paths in a
# conf (payloads, perfsize_results_dir) resolve there, on every container alike.
ARG AIRFLOW_IMAGE=apache/airflow:3.3.2-python3.11

# ---- 1. The Gatling load jar, built from include/gatling with Maven ------------------------------
FROM maven:3.9-eclipse-temurin-17 AS gatling
WORKDIR /build
COPY include/gatling/pom.xml ./pom.xml
COPY include/gatling/src ./src
RUN --mount=type=cache,target=/root/.m2 mvn -q -B -DskipTests package

# ---- 2. NVIDIA AIPerf (LLM steps) in a venv of its own, and its offline tokenizer -----------------
# Its ~1 GB of dependencies never meet Airflow's environment (as the Gatling jar is a runtime of its
# own). Built on the final image's base, at the path it keeps there: a venv records its own path.
FROM ${AIRFLOW_IMAGE} AS aiperf
USER root
RUN mkdir -p /opt/airflow/project && chown airflow:0 /opt/airflow/project
USER airflow
WORKDIR /opt/airflow/project
COPY --chown=airflow:0 requirements-aiperf.lock ./requirements-aiperf.lock
COPY --chown=airflow:0 scripts/aiperf_tokenizer.py ./scripts/aiperf_tokenizer.py
RUN python -m venv .aiperf/venv \
    && .aiperf/venv/bin/pip install --no-cache-dir -r requirements-aiperf.lock \
    && HF_HUB_OFFLINE=1 .aiperf/venv/bin/python scripts/aiperf_tokenizer.py .aiperf/tokenizer

# ---- 3. Airflow with Java and the project -------------------------------------------------------
FROM ${AIRFLOW_IMAGE}

USER root
# The load task runs `java -jar`; a JRE is enough (the jar is built in the stage above).
RUN apt-get update \
    && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
    && apt-get autoremove -yqq --purge \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /opt/airflow/project \
    && chown airflow:0 /opt/airflow/project
USER airflow

ENV SAGEMAKER_SIZING_HOME=/opt/airflow/project \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/project/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/project/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False
WORKDIR /opt/airflow/project

# The same pinned versions as `make setup` (apache-airflow itself is pinned to the image's version).
COPY --chown=airflow:0 requirements.lock ./requirements.lock
RUN pip install --no-cache-dir -r requirements.lock

COPY --chown=airflow:0 pyproject.toml README.md ./
COPY --chown=airflow:0 plugins/sagemaker_sizing ./plugins/sagemaker_sizing
# Airflow would otherwise import every module of the package as a plugin, in every process.
COPY --chown=airflow:0 plugins/.airflowignore ./plugins/.airflowignore
COPY --chown=airflow:0 plugins/sizing_plugin.py ./plugins/sizing_plugin.py
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 docs/iam-policy.json ./docs/iam-policy.json
COPY --chown=airflow:0 include/examples ./include/examples
COPY --chown=airflow:0 include/models.yaml ./include/models.yaml
COPY --chown=airflow:0 resources ./resources
COPY --chown=airflow:0 --from=gatling /build/target/sagemaker-sizing-gatling.jar \
     ./include/gatling/target/sagemaker-sizing-gatling.jar
COPY --chown=airflow:0 --from=aiperf /opt/airflow/project/.aiperf ./.aiperf
# Editable, so the package is the one under plugins/ (where Airflow also looks) and the
# `sagemaker-sizing` command is on the PATH.
RUN pip install --no-cache-dir --no-deps -e . \
    && mkdir -p perfsize-results-dir results \
    && java -version \
    && HF_HUB_OFFLINE=1 .aiperf/venv/bin/python -c "import aiperf; print('AIPerf', aiperf.__version__)"

WORKDIR /opt/airflow
