"""The local SageMaker's server processes, through psutil: start one detached, tell it from a
recycled pid, stop it.

A pid in a state file may outlive its process and be reused by another one: a server is ours only
while its command line still names our module, and an owner is the same process only while its
start time is the one recorded with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from pathlib import Path


def spawn(module: str, args: list[str], log_path: Path, env: dict[str, str]) -> int:
    """``python -m module args`` in a session of its own (it survives the CLI that started it),
    its output appended to ``log_path``; returns its pid."""
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
            start_new_session=True,
        )
    return process.pid


def _process(pid: int) -> psutil.Process | None:
    """The process ``pid``; None when there is none (a state file's -1 included)."""
    if pid <= 0:
        return None
    try:
        return psutil.Process(pid)
    except psutil.Error:
        return None


def runs_module(pid: int, module: str) -> bool:
    """The pid is alive (not a zombie) and its command line still names ``module``."""
    try:
        process = _process(pid)
        return process is not None and any(module in arg for arg in process.cmdline())
    except psutil.Error:  # gone, a zombie, or not ours to read
        return False


def start_time(pid: int) -> float | None:
    """When the process started (seconds since the epoch); None when there is no such process."""
    try:
        process = _process(pid)
        return None if process is None else float(process.create_time())
    except psutil.Error:
        return None


def is_alive(pid: int, started: float | None) -> bool:
    """The process ``pid`` that started at ``started`` still runs (not a recycled pid, not a zombie)."""
    try:
        process = _process(pid)
        return (
            process is not None
            and process.create_time() == started
            and process.status() != psutil.STATUS_ZOMBIE
        )
    except psutil.Error:
        return False


def terminate(pid: int, timeout_s: float) -> None:
    """SIGTERM, then SIGKILL after ``timeout_s``. Done when the process is gone or a zombie (whose
    parent, maybe not us, has yet to reap it); psutil's wait reaps our own child."""
    process = _process(pid)
    if process is None:
        return
    try:
        process.terminate()
    except psutil.Error:
        return
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            process.wait(timeout=0.05)
            return
        except psutil.TimeoutExpired:
            if _is_zombie(process):
                return
        except psutil.Error:
            return
    try:
        process.kill()
    except psutil.Error:
        return


def _is_zombie(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return True
