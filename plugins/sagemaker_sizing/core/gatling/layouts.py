"""Where each Gatling version puts the fields of a text simulation.log record.

Checked against Gatling's own writers (``FileDataWriter`` / ``LogFileDataWriter`` at each tag), and
against real logs of Gatling 3.3.1, 3.4.2, 3.9.5, 3.10.5, 3.11.5, 3.12.0 and 3.13.0
(tests/fixtures/gatling-real/):

- 2.0 - 2.1: ``<scenario> <userId> REQUEST <groups> <name> <reqStart> <reqEnd> <respStart> <respEnd>
  <status> <message> [extra...]``; response time = respEnd - reqStart (Gatling 2.0's reader).
- 2.2 - 2.3: ``REQUEST <scenario> <userId> <groups> <name> <start> <end> <status> <message> [extra...]``.
- 3.0 - 3.3: ``REQUEST <userId> <groups> <name> <start> <end> <status> <message>`` (the 3.2.0 fixtures).
- 3.4 - 3.12: ``REQUEST <groups> <name> <start> <end> <status> <message>`` (userId dropped).
- 3.13 and later write a binary simulation.log (Gatling commit "switch to a binary log file",
  issue #4596: v3.12.0 is the last tag whose LogFileDataWriter writes text, v3.13.0 the first that
  writes binary records): rejected with a clear error naming the version rule.

Fields are tab separated; a REQUEST message is sanitised (no tab, no newline), so 3.x lines have an
exact field count while 2.x lines may carry extra info fields after the message. An ERROR record's
message is NOT sanitised (3.x): it may run over several lines and hold tabs; those continuation
lines belong to the ERROR record before them. Lines end with the writer's platform line separator
(CRLF from a Windows run).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Layout:
    """0-based field indexes of a REQUEST record, and how many tabs such a line holds."""

    name: str
    type_field: int
    groups_field: int
    name_field: int
    start_field: int
    end_field: int
    status_field: int
    tabs: int  # exact tab count of a REQUEST line, or the minimum when ``extra_fields``
    extra_fields: bool = False


GATLING_2_0 = Layout("gatling-2.0", 2, 3, 4, 5, 8, 9, tabs=10, extra_fields=True)
GATLING_2_2 = Layout("gatling-2.2", 0, 3, 4, 5, 6, 7, tabs=8, extra_fields=True)
GATLING_3_0 = Layout("gatling-3.0", 0, 2, 3, 4, 5, 6, tabs=7)
GATLING_3_4 = Layout("gatling-3.4", 0, 1, 2, 3, 4, 5, tabs=6)

# The first Gatling version whose simulation.log is binary, and the rule in words for messages.
BINARY_LOG_SINCE = (3, 13)
BINARY_LOG_RULE = "Gatling 3.12 and older write a text simulation.log, 3.13 and later a binary one"

# Record types Gatling writes in a text log; anything else means the file is not one.
RECORD_TYPES = (b"RUN", b"REQUEST", b"USER", b"GROUP", b"ERROR", b"ASSERTION")


def version_tuple(version: str) -> tuple[int, int]:
    """``"3.2.0"`` -> ``(3, 2)``; unparsable parts count as 0."""
    parts = ([*version.strip().split("."), "0", "0"])[:2]
    return tuple(int(p) if p.isdigit() else 0 for p in parts)  # type: ignore[return-value]


def layout_for_run_record(fields: list[str]) -> tuple[Layout, str] | None:
    """The layout and Gatling version announced by a RUN line split on tabs, or None if it is not one."""
    if len(fields) >= 6 and fields[2] == "RUN" and fields[0] != "RUN":
        return GATLING_2_0, fields[-1].strip()
    if not fields or fields[0] != "RUN" or len(fields) < 6:
        return None
    version = fields[-1].strip()
    major, minor = version_tuple(version)
    if major < 3:
        return GATLING_2_2, version
    if (major, minor) <= (3, 3):
        return GATLING_3_0, version
    return GATLING_3_4, version


def fits(layout: Layout, tabs: int) -> bool:
    """Whether a REQUEST line with ``tabs`` tabs fits ``layout``."""
    return tabs >= layout.tabs if layout.extra_fields else tabs == layout.tabs
