"""The state dir's secrets (``credentials.json``) and a home's ``airflow.cfg`` are created readable by
their owner only: never written first and narrowed after, when another user could open them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sagemaker_sizing.local import state_files
from sagemaker_sizing.local.airflow_env import write_airflow_cfg


@pytest.fixture
def open_umask_and_no_chmod(monkeypatch: pytest.MonkeyPatch):
    """umask 0 (a plain write makes 0666) and chmod after the fact doing nothing: only a file
    created with mode 0600 ends up 0600."""
    old = os.umask(0)
    monkeypatch.setattr(Path, "chmod", lambda self, mode, **kw: None)
    monkeypatch.setattr(os, "chmod", lambda path, mode, **kw: None)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_credentials_are_created_0600(tmp_path: Path, open_umask_and_no_chmod: None) -> None:
    creds = state_files.credentials(tmp_path)
    path = tmp_path / state_files.CREDENTIALS_FILE
    assert mode(path) == 0o600
    assert json.loads(path.read_text()) == creds
    assert state_files.credentials(tmp_path) == creds  # made once per state dir


def test_airflow_cfg_is_created_0600(tmp_path: Path, open_umask_and_no_chmod: None) -> None:
    cfg = write_airflow_cfg(tmp_path / "home")
    assert mode(cfg) == 0o600
    assert "@JWT_SECRET@" not in cfg.read_text()


def test_rewriting_a_loose_file_narrows_it_first(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    state_files.write_private(path, "new")
    assert (mode(path), path.read_text()) == (0o600, "new")
