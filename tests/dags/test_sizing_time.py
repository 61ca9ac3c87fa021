"""What a run's endpoints did and when, as deploy, plan and teardown leave it in XCom, gathered for
the report's "what the sizing took" line (``airflow/sizing_time.py``)."""

from __future__ import annotations

from sagemaker_sizing.airflow import sizing_time

from tests.dags.test_step_records import Run


def test_deploys_retirements_and_teardown_are_gathered_across_rounds_and_map_indexes() -> None:
    run = Run()
    t0 = 1_700_000_000.0

    def deployed(
        round_no: int, index: int, name: str, action: str, before: int, after: int, at: float
    ) -> None:
        record = {"endpoint_name": name, "instance_type": "ml.m5.large", "action": action,
                  "previous_count": before, "instance_count": after, "requested_at": at,
                  "in_service_at": at + 200}  # fmt: skip
        run.ti(f"round_{round_no}.deploy", index).xcom_push("return_value", record)

    deployed(1, 0, "a", "created", 0, 1, t0)
    deployed(1, 1, "b", "created", 0, 1, t0 + 1)
    deployed(2, 0, "a", "resized", 1, 3, t0 + 500)
    run.ti("round_2.deploy", 1).xcom_push("return_value", {"endpoint_name": "c", "action": "refused"})
    sizing_time.push_retired(run.context("round_2.plan"), {"endpoints": ["b"], "deleted_at": {"b": t0 + 480}})
    sizing_time.push_retired(run.context("round_1.plan"), {})  # nothing retired: nothing pushed
    run.ti("teardown").xcom_push("return_value", {"deleted_at": {"a": t0 + 900}, "gone_at": {"a": t0 + 1000}})

    changes, deletions = sizing_time.gathered(run.ti("report"), rounds=3)

    assert [(c.endpoint, c.action, c.before, c.after) for c in changes] == [
        ("a", "created", 0, 1), ("b", "created", 0, 1), ("a", "resized", 1, 3),
    ]  # fmt: skip
    assert (deletions["b"].deleted_at, deletions["b"].gone_at) == (t0 + 480, None)
    assert (deletions["a"].deleted_at, deletions["a"].gone_at) == (t0 + 900, t0 + 1000)
    assert ("round_1.plan", -1, sizing_time.RETIRED_KEY) not in run.xcoms
