"""The set-up from a clone under a 0700 folder (root's home, a ``mktemp -d`` folder): PostgreSQL,
whose server runs as the ``postgres`` user when we are root, must still start and take the
Airflow metadata DB migration."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow  # a PostgreSQL cluster and `airflow db migrate` (~30 s)


def postgres_sh(clone: Path, command: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AIRFLOW_HOME": str(ROOT / "airflow_home")}
    # The PostgreSQL pass of scripts/test.sh sets these for its own server.
    env.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
    env.pop("SAGEMAKER_SIZING_PG_PORT", None)
    return subprocess.run(
        ["bash", str(clone / "scripts" / "postgres.sh"), command],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_postgres_starts_and_migrates_from_a_clone_under_a_0700_folder(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir()
    private.chmod(0o700)
    clone = private / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "postgres.sh", clone / "scripts" / "postgres.sh")
    shutil.copy2(ROOT / "requirements.lock", clone / "requirements.lock")
    (clone / ".venv").symlink_to(ROOT / ".venv")

    state = Path(postgres_sh(clone, "dir").stdout.strip())
    try:
        migrated = postgres_sh(clone, "migrate")
        assert migrated.returncode == 0, migrated.stderr[-3000:]
        url = migrated.stdout.strip()
        assert url.startswith("postgresql+psycopg2://airflow@127.0.0.1:"), url
        engine = sqlalchemy.create_engine(url)
        try:
            with engine.connect() as db:
                # Airflow's migration ran to its head: its version table and its tables are there.
                assert db.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).scalar()
                assert db.execute(sqlalchemy.text("SELECT count(*) FROM dag_run")).scalar() == 0
        finally:
            engine.dispose()
        if os.getuid() == 0:
            # The server runs as `postgres`, so its data must sit where that user can reach it.
            assert not state.is_relative_to(private), state
        # A second start is a no-op that gives the same server.
        again = postgres_sh(clone, "start")
        assert again.returncode == 0 and again.stdout.strip() == url, again.stderr
    finally:
        cleaned = postgres_sh(clone, "clean")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not state.exists()
    assert not (clone / ".postgres").exists()
