"""The Gatling jar's output in a load task's log, with its last line pointing where the reader is.

Gatling ends with ``Reports generated, please open the following file: file:///…/index.html``: a
path on the worker, which the person reading the log in Airflow's UI cannot open. The load task
runs the jar through this hook, which writes that line with the step's report in the UI instead
(the link the task's "Gatling report" button opens), the worker's path after it.
"""

from __future__ import annotations

import re
from typing import Any

from airflow.providers.standard.hooks.subprocess import SubprocessHook

# Gatling 3.x's last line (2.x: "Please open the following file: ..."), and the path it names.
REPORT_LINE = re.compile(r"please open the following file: (file://\S+)", re.IGNORECASE)


def report_line(line: str, report_url: str) -> str:
    """``line`` with Gatling's report path replaced by ``report_url`` (other lines as they are)."""
    found = REPORT_LINE.search(line)
    if found is None:
        return line
    return f"Gatling report: {report_url} (on the worker: {found.group(1)})"


class _Rewriting:
    """A task logger whose ``info`` rewrites Gatling's report line; everything else passes through."""

    def __init__(self, logger: Any, report_url: str) -> None:
        self._logger = logger
        self._report_url = report_url

    def info(self, message: str, *args: Any, **kwargs: Any) -> Any:
        if message == "%s" and len(args) == 1 and isinstance(args[0], str):  # one line of the jar
            args = (report_line(args[0], self._report_url),)
        return self._logger.info(message, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._logger, name)


class GatlingOutputHook(SubprocessHook):
    """``SubprocessHook`` that logs Gatling's report line with the UI's link (``report_url``)."""

    def __init__(self, report_url: str) -> None:
        super().__init__()
        self.report_url = report_url

    @property
    def log(self) -> Any:
        return _Rewriting(super().log, self.report_url)
