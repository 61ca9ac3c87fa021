"""The Airflow metadata DB is the one the test command set up: SQLite by default, PostgreSQL in the
second run of scripts/test.sh (which sets ``SAGEMAKER_SIZING_EXPECT_DB=postgresql``)."""

from __future__ import annotations

import os


def test_airflow_uses_the_expected_metadata_db() -> None:
    from airflow import settings
    from airflow.utils.session import create_session
    from sqlalchemy import text

    expected = os.environ.get("SAGEMAKER_SIZING_EXPECT_DB", "sqlite")
    assert settings.engine is not None
    assert settings.engine.dialect.name == expected
    with create_session() as session:
        # A migrated schema: Airflow's own version table holds a revision.
        revision = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert revision
