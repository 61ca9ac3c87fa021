"""Every third-party package the code imports is declared where it is used: pyproject's
dependencies for the core, adapters, Airflow layer, command line, DAGs and plugin; the [local]
extra (or the dependencies) for ``sagemaker_sizing.local``. Nothing arrives only because another
package happens to pull it in (httptools came with uvicorn)."""

from __future__ import annotations

import ast
import functools
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins" / "sagemaker_sizing"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_modules(source: str) -> set[str]:
    """The absolute imports of a module, by dotted name (``from a.b import c``: ``a.b``)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {n for n in names if n.split(".")[0] not in sys.stdlib_module_names | {"sagemaker_sizing"}}


@functools.cache
def module_owners() -> dict[str, str]:
    """Dotted module name -> the installed distribution whose files hold it."""
    owners: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = canonical(dist.metadata["Name"])
        # RECORD read as text: dist.files is ten times slower over a whole Airflow install.
        for line in (dist.read_text("RECORD") or "").splitlines():
            path = line.split(",", 1)[0]
            if not path.endswith(".py") or path.startswith(".."):
                continue
            module = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            owners[module] = name
    return owners


def owner(module: str) -> str | None:
    """The distribution of ``module`` (of its nearest enclosing package with a file)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = module_owners().get(".".join(parts[:end]))
        if found:
            return found
    return None


def declared(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` declare; a meta-package (one that installs no module, as
    apache-airflow) declares what it requires unconditionally (apache-airflow-core, -task-sdk)."""
    names = {canonical(Requirement(r).name) for r in requirements}
    for name in list(names):
        dist = importlib.metadata.distribution(name)
        if not any(file.suffix == ".py" for file in dist.files or ()):
            required = [Requirement(r) for r in dist.requires or ()]
            names |= {canonical(r.name) for r in required if r.marker is None}
    return names


BASE = declared(PROJECT["dependencies"])
LOCAL = BASE | declared(PROJECT["optional-dependencies"]["local"])


def undeclared(source: str, allowed: set[str]) -> list[str]:
    return sorted(f"{m} ({owner(m)})" for m in imported_modules(source) if owner(m) not in allowed)


def sources() -> list[tuple[Path, set[str]]]:
    """Every module of the package, the DAG files and the plugin, with what it may import."""
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "dags").glob("*.py"), *(ROOT / "plugins").glob("*.py")]
    return [(f, LOCAL if (PACKAGE / "local") in f.parents else BASE) for f in sorted(files)]


def test_every_third_party_import_is_declared_where_it_is_used() -> None:
    checked = sources()
    assert len(checked) > 100
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path, allowed in checked
        for name in undeclared(path.read_text(), allowed)
    ]
    assert offenders == [], "declare these in pyproject.toml (and pin them in requirements*.txt)"


def test_the_check_finds_the_distribution_behind_an_import() -> None:
    assert owner("airflow.providers.amazon.aws.hooks.sagemaker") == "apache-airflow-providers-amazon"
    assert owner("airflow.sdk") == "apache-airflow-task-sdk"
    assert owner("yaml") == "pyyaml"
    assert {"apache-airflow-core", "apache-airflow-task-sdk"} <= BASE  # through apache-airflow
    # httptools is installed (uvicorn brings it) but only the [local] extra declares it.
    source = "import json\nimport httptools\nfrom sagemaker_sizing import cli\n"
    assert undeclared(source, BASE) == ["httptools (httptools)"]
    assert undeclared(source, LOCAL) == []


def pinned(requirements_txt: str) -> set[str]:
    lines = (ROOT / requirements_txt).read_text().splitlines()
    return {canonical(Requirement(line.split("#")[0]).name) for line in lines if line.split("#")[0].strip()}


def test_what_pyproject_declares_is_pinned_in_the_matching_requirements_file() -> None:
    base = {canonical(Requirement(r).name) for r in PROJECT["dependencies"]}
    local = {canonical(Requirement(r).name) for r in PROJECT["optional-dependencies"]["local"]}
    assert base <= pinned("requirements.txt")
    assert local <= pinned("requirements-local.txt")
