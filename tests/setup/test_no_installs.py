"""scripts/setup.sh is the one place that installs system packages: no test or bench runs apt-get."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTALLERS = ("apt-get", "apt", "dpkg", "pip", "uv")
RUNNERS = {"run", "Popen", "call", "check_call", "check_output", "system", "popen", "execv", "execvp"}
RUNNERS |= {"create_subprocess_exec", "create_subprocess_shell"}
MENTIONS = re.compile(r"""["'](apt-get|apt|dpkg|pip|uv)\b""")


def commands_run(source: str) -> list[str]:
    """argv[0] of every command a process-running call gets as a literal: ``subprocess.run([...])``,
    ``os.system("...")``, ``asyncio.create_subprocess_exec(...)``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if name not in RUNNERS:
            continue
        first = node.args[0]
        if isinstance(first, ast.List | ast.Tuple) and first.elts:
            first = first.elts[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            found.append(first.value.split(" ")[0])
    return found


def test_the_check_sees_an_install() -> None:
    assert "apt-get" in commands_run('subprocess.run(["apt-get", "install", "-y", "chromium"])')
    assert "apt-get" in commands_run('os.system("apt-get install -y wrk")')
    assert commands_run('re.search(r"apt-get install", text)') == []


def test_no_test_or_bench_installs_anything() -> None:
    offenders = []
    for path in sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py")]):
        if not MENTIONS.search(path.read_text()):
            continue  # parsing every file would take seconds
        offenders += [
            f"{path.relative_to(ROOT)}: {cmd}" for cmd in commands_run(path.read_text()) if cmd in INSTALLERS
        ]
    assert offenders == []
    shell = [p for p in ROOT.glob("bench/**/*.sh") if "apt-get" in p.read_text()]
    assert shell == []
