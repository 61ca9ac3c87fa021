"""The decision core stays plain Python: importing it must not load Airflow, boto3 or FastAPI."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import sagemaker_sizing.core

FORBIDDEN = ("airflow", "boto3", "botocore", "fastapi")


def _core_modules() -> list[str]:
    return [
        info.name for info in pkgutil.walk_packages(sagemaker_sizing.core.__path__, "sagemaker_sizing.core.")
    ]


def test_core_has_modules() -> None:
    assert "sagemaker_sizing.core.model" in _core_modules()


def test_importing_the_core_loads_no_airflow_boto3_or_fastapi() -> None:
    modules = ["sagemaker_sizing.core", *_core_modules()]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_check_would_catch_a_leak() -> None:
    # The same probe, on a module that does import boto3, must see it.
    code = "import sys, boto3; print('boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
