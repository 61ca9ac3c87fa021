"""The one error the Gatling parser raises: a log it cannot read, named by file and line."""

from __future__ import annotations


class GatlingLogError(ValueError):
    """A simulation.log that is empty, binary, of an unknown layout or malformed.

    The message always names the file and, when one line is at fault, its 1-based number.
    """

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.line = line
