"""A results root on disk like a sizing run leaves it, plus things that must never be served."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

RUN = "sagemaker_sizing__manual__2026-01-02T03_04_05.000000_00_00"
STEP_BASE = "1767323045-ml.m5.large-1-10TPS"
SECRET = "top-secret-outside-the-results"


@dataclass
class ResultsTree:
    root: Path
    run_dir: Path
    step_dir: Path
    outside: Path


def make_results_tree(tmp_path: Path) -> ResultsTree:
    root = tmp_path / "results"
    run_dir = root / RUN
    old_step = run_dir / f"{STEP_BASE}-20260102030405000"
    step_dir = run_dir / f"{STEP_BASE}-20260102030999000"  # a retried load: the newer folder wins
    for folder in (old_step, step_dir):
        (folder / "js").mkdir(parents=True)
        (folder / "index.html").write_text(f"<html>Gatling {folder.name}</html>")
        (folder / "js" / "stats.js").write_text("var stats = {};")
    (run_dir / "report.html").write_text("<html><h1>Sizing report</h1>ml.m5.large x2</html>")
    recommendation = {
        "status": "recommended",
        "recommendation": {
            "instance_type": "ml.m5.large",
            "instance_count_needed": 2,
            "max_instance_count": 2,
        },
        "costs": {"hourly": "0.230"},
    }
    (run_dir / "recommendation.json").write_text(json.dumps(recommendation))
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (outside / "index.html").write_text(SECRET)
    (tmp_path / "secret.txt").write_text(SECRET)
    # Symlinks pointing out of the run folder and out of the root.
    os.symlink(outside / "secret.txt", run_dir / "leak.txt")
    os.symlink(outside, run_dir / "leakdir")
    os.symlink(outside, root / "sagemaker_sizing__linked_out")
    return ResultsTree(root=root, run_dir=run_dir, step_dir=step_dir, outside=outside)
