"""
# sagemaker_sizing

Finds the right and cheapest size of a SageMaker real-time endpoint by load testing it.

Trigger with conf JSON (or the form): the model, the peak TPS it must carry, the p99 latency and
error rate it may have, and the candidate instance types. Each round deploys the configurations
the walk asks for, sends real load with Gatling, parses the results and decides what to try next.
`report` writes `report.html` and `recommendation.json` into the run's results folder;
`teardown` deletes every endpoint, endpoint config and scaling policy the run created, also
after a failure. Strategies: `adaptive` (default, fewer test minutes) and `perfsize`
(step for step what intuit's perfsizesagemaker does).
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG
from sagemaker_sizing.airflow import settings
from sagemaker_sizing.airflow.graph import (
    add_checks,
    add_report_and_teardown,
    add_rounds,
    shared_schema_param,
)
from sagemaker_sizing.core.conf.schema import params_schema

ROUNDS = settings.max_rounds()
FORM = params_schema(settings.form_defaults())

with DAG(
    dag_id="sagemaker_sizing",
    doc_md=__doc__,
    schedule=None,
    catchup=False,
    max_active_runs=4,
    tags=["sagemaker", "sizing", "load-test"],
    default_args={"owner": "sagemaker-sizing", "retries": 1, "retry_delay": timedelta(seconds=10)},
    # The conf's fields in the trigger form's order; under `make ui` it opens with the local demo's conf.
    params={name: shared_schema_param(**schema) for name, schema in FORM.items()},
    render_template_as_native_obj=True,
) as dag:
    conf = add_checks()
    walk_done = add_rounds(conf, ROUNDS)
    add_report_and_teardown(conf, walk_done, ROUNDS)
