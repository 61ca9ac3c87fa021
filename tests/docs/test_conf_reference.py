"""docs/conf-reference.md is exactly what scripts/gen_conf_reference.py makes from the Params schema."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

from sagemaker_sizing.core.conf.schema import params_schema

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_conf_reference.py"
DOC = ROOT / "docs" / "conf-reference.md"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_conf_reference", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_reference_is_the_generated_one() -> None:
    assert DOC.read_text() == generator().render(), "run: .venv/bin/python scripts/gen_conf_reference.py"


def test_every_param_has_a_row_with_its_default() -> None:
    text = DOC.read_text()
    for name, schema in params_schema().items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        assert ("**required**" in row) == ("default" not in schema), name


def test_check_mode_fails_on_a_stale_file(tmp_path: Path) -> None:
    gen = generator()
    stale = tmp_path / "conf-reference.md"
    stale.write_text("old\n")
    gen.OUTPUT = stale
    assert gen.main(["--check"]) == 1
    assert gen.main([]) == 0
    assert gen.main(["--check"]) == 0


def test_the_script_runs_as_documented() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
