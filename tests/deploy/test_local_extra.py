"""The local SageMaker (``sagemaker_sizing.local``, moto's server) is the ``[local]`` extra: set-up,
tests and the demo install it; the production install and image do not, and need not."""

from __future__ import annotations

import importlib.abc
import re
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from sagemaker_sizing import cli

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ("moto", "sagemaker_sizing.local")  # what the image leaves out


def locked_names(lock: str) -> set[str]:
    return set(re.findall(r"^([A-Za-z0-9_.-]+)==", (ROOT / lock).read_text(), re.M))


def test_moto_is_an_extra_not_a_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [d for d in project["dependencies"] if d.startswith("moto")]
    assert "moto[server]" in project["optional-dependencies"]["local"]
    # The image installs requirements.lock: no moto there; set-up adds requirements-local.lock.
    assert "moto" not in locked_names("requirements.lock")
    assert "moto" in locked_names("requirements-local.lock")
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert "requirements.lock requirements-local.lock" in setup and '-e ".[local]"' in setup


def test_the_image_leaves_the_local_sagemaker_out() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(fnmatch("plugins/sagemaker_sizing/local", pattern) for pattern in ignored)


def test_dags_and_plugin_load_without_the_local_sagemaker() -> None:
    # A fresh interpreter where moto and sagemaker_sizing.local cannot be imported, as in the image.
    code = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "moto" or name.startswith(("moto.", "sagemaker_sizing.local")):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
import runpy
import sagemaker_sizing.airflow.graph, sagemaker_sizing.airflow.tasks.deploy
runpy.run_path("plugins/sizing_plugin.py")
runpy.run_path("dags/sizing.py")
print("loaded")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("loaded")


class _AsInTheImage(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.startswith(LOCAL):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def test_a_local_command_without_the_extra_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "meta_path", [_AsInTheImage(), *sys.meta_path])
    for name in [n for n in sys.modules if n.startswith(LOCAL)]:
        monkeypatch.delitem(sys.modules, name)

    assert cli.main(["local", "status"]) == 2
    assert "pip install 'sagemaker-sizing[local]'" in capsys.readouterr().err
