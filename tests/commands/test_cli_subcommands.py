"""Every subcommand is there or says why: a module that fails to import is an error naming the
subcommand and the cause, never left out in silence; one that needs a missing extra says so."""

from __future__ import annotations

import importlib.abc
import sys
from typing import TYPE_CHECKING

import pytest
from sagemaker_sizing import cli

if TYPE_CHECKING:
    from pathlib import Path


class _Missing(importlib.abc.MetaPathFinder):
    """Makes ``names`` (and their submodules) unimportable, as a broken or partial install would."""

    def __init__(self, *names: str) -> None:
        self.names = names

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if any(name == n or name.startswith(f"{n}.") for n in self.names):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def _without(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    monkeypatch.setattr(sys, "meta_path", [_Missing(*names), *sys.meta_path])
    for loaded in [m for m in sys.modules if any(m == n or m.startswith(f"{n}.") for n in names)]:
        monkeypatch.delitem(sys.modules, loaded)


def test_every_subcommand_registers_under_its_name() -> None:
    parser = cli.build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert list(subparsers.choices) == list(cli.COMMANDS)  # type: ignore[arg-type]


def test_a_subcommand_whose_module_is_missing_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _without(monkeypatch, "sagemaker_sizing.commands.orphans")
    with pytest.raises(ImportError, match=r"subcommand 'orphans'.*sagemaker_sizing\.commands\.orphans"):
        cli.main(["validate", "--help"])


def test_a_module_failing_inside_names_the_subcommand_and_the_cause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(cli.COMMANDS, "broken", "broken_command_module")
    monkeypatch.setitem(sys.modules, "broken_command_module", None)  # import fails: ImportError
    with pytest.raises(cli.CommandImportError, match="subcommand 'broken'") as raised:
        cli.build_parser()
    assert isinstance(raised.value.__cause__, ImportError)
    assert "broken_command_module" in str(raised.value)


def test_a_module_needing_a_missing_extra_is_listed_and_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A subcommand module that imports the local SageMaker at its top, in an install without it.
    (tmp_path / "needs_local_command.py").write_text("import sagemaker_sizing.local\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(cli.COMMANDS, "needs-local", "needs_local_command")
    _without(monkeypatch, "sagemaker_sizing.local", "moto")

    assert "needs-local" in cli.build_parser().format_help()
    assert cli.main(["needs-local", "--some-option", "x"]) == 2
    assert capsys.readouterr().err == (
        "needs-local needs the local SageMaker: pip install 'sagemaker-sizing[local]'\n"
    )
    with pytest.raises(SystemExit) as shown:
        cli.main(["validate", "--help"])  # the others work as ever
    assert shown.value.code == 0
