"""Shared test set-up: Airflow's home is the project's own (made by scripts/setup.sh)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# /work/main -> /work/shared; a worktree /work/wt/<name> -> /work/shared as well.
SHARED = next(
    (p / "shared" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").is_dir()),
    ROOT.parent / "shared",
)
FIXTURES = SHARED / "fixtures"

# Before anything imports Airflow: its settings are read once, at import.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / "airflow_home"))
