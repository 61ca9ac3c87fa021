"""
# resize_&lt;model&gt;

Periodic re-sizing: one scheduled DAG per model of `include/models.yaml` (setting
`[sagemaker_sizing] models_file`), each the `sagemaker_sizing` DAG with the model's conf as its
defaults. After the report, `history` compares with the model's previous sizing (capacity per
instance, recommended type and count, cost), keeps this run in `<results>/<dag_id>/index.json`
and writes the comparison into the report; `drift_check` fails when the capacity per instance
dropped by more than the model's `drift_threshold` (default 20%), so the run's alerting fires.
"""

from __future__ import annotations

from sagemaker_sizing.airflow import settings
from sagemaker_sizing.airflow.resizing import build_dag, load_models

ROUNDS = settings.max_rounds()

for _model in load_models(settings.models_file(), max_rounds=ROUNDS):
    globals()[_model.dag_id] = build_dag(_model, ROUNDS, __doc__ or "")
