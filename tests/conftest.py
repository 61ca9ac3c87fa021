"""Shared test set-up: Airflow's home is the project's own (made by scripts/setup.sh)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"

# Before anything imports Airflow: its settings are read once, at import.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / "airflow_home"))
