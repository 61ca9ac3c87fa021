"""The sizing DAG's task ids, named once: ``graph.py`` builds the tasks with them and every reader
of another task's XCom (step records, notes, the report, teardown, re-sizing) pulls by them."""

from __future__ import annotations

VALIDATE = "validate"
PREFLIGHT = "preflight"
WALK_DONE = "walk_done"
REPORT = "report"
TEARDOWN = "teardown"
END = "end"

# The tasks of each round, inside its task group (``round_<n>``).
PLAN = "plan"
DEPLOY = "deploy"
INJECTORS = "injectors"
LOAD = "load"
PARSE = "parse"


def round_group(round_no: int) -> str:
    """The task group of round ``round_no`` (1-based)."""
    return f"round_{round_no}"


def in_round(round_no: int, task: str) -> str:
    """The full id of a round's task: ``round_2.parse``."""
    return f"{round_group(round_no)}.{task}"
