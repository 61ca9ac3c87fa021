"""Set-up's Maven output has no terminal colour codes when it is not a terminal (issue 26, item 9):
Debian's Maven wrote ESC[0m resets into `make setup > log` even with -Dstyle.color=never."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.gatling  # Maven starts a JVM


def test_maven_through_set_ups_function_writes_no_colour_codes_into_a_pipe() -> None:
    standin = ROOT / "include" / "gatling" / "standin"
    script = f'source "{ROOT / "scripts" / "maven.sh"}" && cd "{standin}" && maven -o validate'
    done = subprocess.run(["bash", "-c", script], capture_output=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert b"\x1b[" not in done.stdout + done.stderr, done.stdout + done.stderr
    # The same Maven without it does write them (or this test would prove nothing).
    raw = subprocess.run(
        [
            "bash",
            "-c",
            f'cd "{ROOT / "include" / "gatling" / "standin"}" && mvn -q -B -Dstyle.color=never -o validate',
        ],
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert b"\x1b[0m" in raw.stdout + raw.stderr


def test_set_up_builds_the_jars_through_it() -> None:
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    assert 'source "$ROOT/scripts/maven.sh"' in setup
    assert " mvn " not in setup.replace("/usr/bin/mvn", "")
