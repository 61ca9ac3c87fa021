"""The command line sits on the core and the adapters: no command imports the Airflow layer
(``sagemaker_sizing.airflow``), not even inside a handler."""

from __future__ import annotations

import ast
from pathlib import Path

import sagemaker_sizing

PACKAGE = Path(sagemaker_sizing.__file__).parent
CLI_MODULES = [PACKAGE / "cli.py", *sorted((PACKAGE / "commands").glob("*.py"))]


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_cli_modules_do_not_import_the_airflow_layer() -> None:
    assert len(CLI_MODULES) > 5
    offenders = {
        f"{path.name}: {name}"
        for path in CLI_MODULES
        for name in imported_modules(path)
        if name == "sagemaker_sizing.airflow" or name.startswith("sagemaker_sizing.airflow.")
    }
    assert offenders == set()
