"""An LLM step's AIPerf gets the step's secret key and session token, and leaks them nowhere: not
in its command line (every AIPerf process's argv, sampled from /proc while it runs), the task's
output, XCom, the step folder's files (exports, AIPerf's log, console) or the step record.

The secret does reach AIPerf: the runtime saw requests signed with the key id and carrying the
session token (botocore reads them from the environment the load task gives it)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.llm_live import KEY_ID, run_llm_step
from tests.fixtures.aiperf.fake_runtime import FakeRuntime
from tests.security.conftest import SECRET

pytestmark = pytest.mark.slow

TOKEN = "SIZING-TEST-SESSION-TOKEN-do-not-leak-91c2e4"


class ArgvSampler:
    """Every distinct command line of a running process that mentions aiperf, while it runs."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    argv = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if "aiperf" in argv:
                    self.seen.add(argv)
            self._stop.wait(0.2)

    def __enter__(self) -> ArgvSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.fixture
def runtime() -> Iterator[FakeRuntime]:
    with FakeRuntime() as fake:
        yield fake


def test_aiperf_gets_the_secret_and_token_and_leaks_them_nowhere(
    runtime: FakeRuntime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    with ArgvSampler() as argv:
        step = run_llm_step(
            monkeypatch,
            tmp_path / "results",
            runtime.url,
            "ok",
            secret=SECRET,
            token=TOKEN,
            llm_output_tokens_mean=32,
        )
    out, err = capfd.readouterr()

    # It reached AIPerf, and AIPerf signed with it.
    assert step.record["passed"] is True, step.record
    stats = runtime.stats()
    assert stats["key_ids"] == [KEY_ID] and stats["session_tokens"] == [TOKEN] and stats["unsigned"] == 0
    # The sampler saw AIPerf's processes (the check means something), with neither secret in argv.
    assert any(" profile " in a and "--sagemaker-endpoint-name" in a for a in argv.seen), argv.seen
    files = [p for p in step.run_dir.rglob("*") if p.is_file()]
    assert any(p.name == "profile_export.jsonl" for p in files) and any(p.name == "aiperf.log" for p in files)
    assert "--sagemaker-endpoint-name" in out + err  # the task's output was captured
    for secret in (SECRET, TOKEN):
        assert [a for a in argv.seen if secret in a] == []
        assert secret not in step.bash_command
        assert secret not in out and secret not in err
        assert secret not in json.dumps(step.load_ti.pushed) and secret not in json.dumps(step.record)
        assert [p for p in files if secret.encode() in p.read_bytes()] == []
