"""Orchestration overhead: wall time of a sizing run not spent inside the load itself.

Runs the ``sagemaker_sizing`` DAG on the local SageMaker, either in-process with ``dag.test()``
(what ``make demo`` does through ``airflow dags test``) or through the real scheduler (Airflow
standalone, triggered over the REST API), then reads every task instance's start and end from
the metadata DB.

- Whole run (the figure to watch): the run's wall time, first task start (validate) to last task
  end (teardown, end), minus the loads (per round the longest load task: loads of a round run
  side by side). It holds everything a user waits for besides the load: validate, the gaps
  between rounds, plan/deploy/commands/parse, walk_done, report and teardown. Divided by the
  rounds that measured something, it is the overhead per round. The bench's own wall time
  (local SageMaker start, DAG parse, run set-up) minus the loads is printed beside it.
- Per round (the older figure): a round's first task start to its last task end, minus its
  longest load; it leaves out the gaps between rounds and the tasks outside the rounds.

    .venv/bin/python bench/orchestration_overhead.py --mode dags-test
    .venv/bin/python bench/orchestration_overhead.py --mode scheduler
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / "airflow_home"))

CONF = {  # one lane, a perfsize walk of 3 steps at a few seconds each
    "type_walk": "ml.m5.large",
    "tps_walk": "10,30,80",
    "duration_minutes": 0.05,
    "endurance_steady_state_minutes": 0.05,
}


def overheads(tis: list[dict[str, Any]]) -> list[dict[str, float]]:
    rounds: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ti in tis:
        if ti["task_id"].startswith("round_") and ti["start"] is not None:
            rounds[ti["task_id"].split(".")[0]].append(ti)
    out = []
    for name in sorted(rounds, key=lambda r: int(r.split("_")[1])):
        group = rounds[name]
        if not any(t["task_id"].endswith(".load") and t["state"] == "success" for t in group):
            continue  # the round that found the walk complete, and the skipped slots after it
        wall = max(t["end"] for t in group) - min(t["start"] for t in group)
        load = max((t["end"] - t["start"] for t in group if t["task_id"].endswith(".load")), default=0.0)
        out.append(
            {"round": int(name.split("_")[1]), "wall_s": wall, "load_s": load, "overhead_s": wall - load}
        )
    return out


def whole_run(tis: list[dict[str, Any]], bench_wall_s: float) -> dict[str, float]:
    """The run's wall time minus its loads (see the module docstring)."""
    timed = [t for t in tis if t["start"] is not None and t["end"] is not None]
    loads: dict[str, float] = defaultdict(float)
    for t in timed:
        if t["task_id"].endswith(".load"):
            group = t["task_id"].split(".")[0]
            loads[group] = max(loads[group], t["end"] - t["start"])
    run_wall = max(t["end"] for t in timed) - min(t["start"] for t in timed)
    load = sum(loads.values())
    return {
        "run_wall_s": run_wall,
        "loads_s": load,
        "run_overhead_s": run_wall - load,
        "bench_wall_s": bench_wall_s,
        "bench_overhead_s": bench_wall_s - load,
    }


def task_times(run_id: str) -> list[dict[str, Any]]:
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.query(TaskInstance).filter(TaskInstance.run_id == run_id).all()
        return [
            {
                "task_id": ti.task_id,
                "state": str(ti.state),
                "map_index": ti.map_index,
                "try_number": ti.try_number,
                "scheduled": ti.scheduled_dttm.timestamp() if ti.scheduled_dttm else None,
                "queued": ti.queued_dttm.timestamp() if ti.queued_dttm else None,
                "start": ti.start_date.timestamp() if ti.start_date else None,
                "end": ti.end_date.timestamp() if ti.end_date else None,
            }
            for ti in rows
        ]


def print_breakdown(tis: list[dict[str, Any]]) -> None:
    """Per task instance, relative to the run's first start: scheduled, queued, start, end, and the
    gap from the end of the latest task that ended before it was scheduled (the scheduler's loop)."""
    timed = sorted((t for t in tis if t["start"] is not None), key=lambda t: t["start"])
    if not timed:
        return
    t0 = timed[0]["start"]
    ends = sorted(t["end"] for t in timed if t["end"] is not None)

    def rel(value: float | None) -> str:
        return "   -  " if value is None else f"{value - t0:6.1f}"

    print(f"{'task':34} {'sched':>6} {'queued':>6} {'start':>6} {'end':>6} {'q->s':>5} {'run':>5} {'gap':>5}")
    for t in timed:
        mark = t["scheduled"] or t["queued"] or t["start"]
        before = [e for e in ends if e <= mark + 0.001]
        gap = f"{mark - before[-1]:5.1f}" if before else "   - "
        q2s = f"{t['start'] - t['queued']:5.1f}" if t["queued"] else "   - "
        run = f"{t['end'] - t['start']:5.1f}" if t["end"] else "   - "
        name = t["task_id"] + (f"[{t['map_index']}]" if t["map_index"] >= 0 else "")
        print(
            f"{name:34} {rel(t['scheduled'])} {rel(t['queued'])} {rel(t['start'])} {rel(t['end'])} "
            f"{q2s} {run} {gap}"
        )


def run_dags_test(work: Path) -> str:
    from sagemaker_sizing.local import running_local_sagemaker

    from tests.e2e.harness import apply_env, base_conf, fresh_dag, sizing_env

    with running_local_sagemaker(work / "local", models=("e2e-model",), creating_delay=1.0) as local:

        class _Env:  # monkeypatch stand-in: the bench process is ours alone
            def setenv(self, key: str, value: str) -> None:
                os.environ[key] = value

            def delenv(self, key: str, raising: bool = False) -> None:
                os.environ.pop(key, None)

        apply_env(_Env(), sizing_env(local, defer_after=5.0))  # as make demo
        conf = base_conf(**CONF, perfsize_results_dir=str(work / "results"))
        dag_run = fresh_dag().test(run_conf=conf)
        assert str(dag_run.state) == "success", dag_run.state
        return str(dag_run.run_id)


def run_scheduler(work: Path) -> tuple[str, str]:
    """Standalone in its own AIRFLOW_HOME; returns (run_id, that home's sqlite URL)."""
    import signal
    import subprocess
    import urllib.request

    from sagemaker_sizing.commands.ui import standalone_env
    from sagemaker_sizing.local import start, stop
    from sagemaker_sizing.local.airflow_env import write_airflow_cfg

    from tests.e2e.harness import ROUNDS, base_conf
    from tests.e2e.test_scheduler_path import Api, _free_port

    local = start(work / "local", models=("e2e-model",), creating_delay=1.0)
    home = work / "airflow_home"
    write_airflow_cfg(home)
    port = _free_port()
    env = standalone_env(local, port) | {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS": str(ROUNDS),
    }
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("airflow")), "standalone"],
        env=env,
        stdout=(work / "standalone.log").open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        api = Api(f"http://127.0.0.1:{port}/api/v2")
        api.wait_for("/dags/sagemaker_sizing", timeout_s=300)
        conf = base_conf(**CONF, perfsize_results_dir=str(work / "results"))
        run_id = api.call("POST", "/dags/sagemaker_sizing/dagRuns", {"logical_date": None, "conf": conf})[
            "dag_run_id"
        ]
        quoted = urllib.request.quote(run_id, safe="")
        while api.wait_for(f"/dags/sagemaker_sizing/dagRuns/{quoted}", 120)["state"] not in (
            "success",
            "failed",
        ):
            time.sleep(2)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        stop(work / "local")
    return run_id, f"sqlite:///{home}/airflow.db"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("dags-test", "scheduler"), default="dags-test")
    parser.add_argument("--breakdown", action="store_true", help="print every task's timestamps")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (logs, results)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) if args.keep is None else args.keep.resolve()
        work.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        if args.mode == "dags-test":
            run_id = run_dags_test(work)
        else:
            run_id, db_url = run_scheduler(work)
            os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = db_url
        total = time.monotonic() - started
        tis = task_times(run_id)
        rounds = overheads(tis)
    if args.breakdown:
        print_breakdown(tis)
    for r in rounds:
        wall, load, over = r["wall_s"], r["load_s"], r["overhead_s"]
        print(f"round {r['round']}: wall {wall:.1f} s, load {load:.1f} s, overhead {over:.1f} s")
    mean = sum(r["overhead_s"] for r in rounds) / len(rounds)
    whole = whole_run(tis, total)
    print(
        f"whole run: wall {whole['run_wall_s']:.1f} s, loads {whole['loads_s']:.1f} s, "
        f"overhead {whole['run_overhead_s']:.1f} s = {whole['run_overhead_s'] / len(rounds):.1f} s per "
        f"measured round; bench wall {total:.1f} s, overhead {whole['bench_overhead_s']:.1f} s"
    )
    print(
        json.dumps(
            {
                "mode": args.mode,
                "rounds": len(rounds),
                "whole_run_overhead_s": round(whole["run_overhead_s"], 1),
                "whole_run_overhead_per_round_s": round(whole["run_overhead_s"] / len(rounds), 2),
                "mean_overhead_per_round_s": round(mean, 2),
                "run_wall_s": round(whole["run_wall_s"], 1),
                "loads_s": round(whole["loads_s"], 1),
                "total_wall_s": round(total, 1),
                "load_avg": os.getloadavg()[0],
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
