"""Notes for the report, pushed as XCom by the task that has something to say (preflight's
findings and prices, plan's cost guard); the report reads them by these keys."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

NOTE_KEY = "note"  # one note (str) of a round's plan: the cost guard's stop
NOTES_KEY = "notes"  # preflight's notes (list of str): dropped types, prices
BLOCKING_KEY = "blocking"  # preflight's blocking findings ([{"check", "message"}]), pushed before it fails


def push(note: str | list[Any], key: str = NOTE_KEY) -> None:
    """``note`` as XCom ``key`` of the running task (nothing outside a task)."""
    from airflow.sdk import get_current_context

    try:
        context = get_current_context()
    except RuntimeError:
        log.debug("not in a task: note not pushed: %s", note)
        return
    context["ti"].xcom_push(key=key, value=note)
