"""Helpers of the browser test: a hand-made report, Airflow's API server, Chromium and PNG pixels."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import time
import zlib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from sagemaker_sizing.core.model import PHASE_MAX, PHASE_TYPE, Recommendation, StepConfig, StepResult
from sagemaker_sizing.core.report.assemble import ReportContent
from sagemaker_sizing.core.report.render import render_report
from sagemaker_sizing.core.verdicts.run_outcome import run_outcome
from sagemaker_sizing.paths import PROJECT_ROOT

VENV_BIN = PROJECT_ROOT / ".venv" / "bin"


def render_sample_report(run_dir: Path) -> Path:
    """A report from hand-made steps: ml.m5.large holds 40 TPS, peak 80 needs 2 (endurance-tested)."""

    def step(phase: str, count: int, tps: float, passed: bool, p99: float, rnd: int) -> StepResult:
        config = StepConfig(phase, "ml.m5.large", count, tps, 3)
        metrics = {
            "count_total": tps * 180,
            "percent_fail": 0.0 if passed else 4.0,
            "latency_success_p50": p99 / 3,
            "latency_success_p99": p99,
            "achieved_tps": tps,
        }
        reason = "p99 and errors within limits" if passed else f"p99 {p99:g} ms > 500 ms"
        return StepResult(config, rnd, passed, reason, metrics, folder=f"step-{rnd}")

    results = [
        step(PHASE_TYPE, 1, 10, True, 60, 1),
        step(PHASE_TYPE, 1, 40, True, 180, 2),
        step(PHASE_TYPE, 1, 80, False, 2400, 3),
        step(PHASE_MAX, 2, 80, True, 210, 4),
    ]
    recommendation = Recommendation(
        instance_type="ml.m5.large",
        tps_per_instance=40.0,
        instance_count_needed=2,
        max_instance_count=2,
        min_instance_count=None,
        invocations_target=1200,
        aws_formula_invocations_target=1200,
        hourly_cost_usd=Decimal("0.23"),
    )
    costs = {
        "hourly": "0.23",
        "monthly": "167.90",
        "per_type": {
            "ml.m5.large": {"hourly": "0.23", "instances": 2, "tps_per_instance": 40},
            "ml.m5.xlarge": {"hourly": "0.46", "instances": 2, "tps_per_instance": 45},
        },
    }
    conf = {
        "peak_tps": 80,
        "latency_success_p99": 500,
        "percent_fail": 1,
        "region": "us-west-2",
        "model_name": "browser-model",
        "endpoint_name": "browser",
        "strategy": "perfsize",
    }
    content = ReportContent(conf, tuple(results), recommendation, costs, run_outcome(results, recommendation))
    html, _ = render_report(content, run_id=run_dir.name, results_dir=run_dir)
    return html


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_api_server(results_root: Path, log_file: Path) -> Iterator[str]:
    """``airflow api-server`` on a free loopback port, every user an admin; stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(PROJECT_ROOT / "airflow_home"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{url}/execution/",
        "AIRFLOW__API__BASE_URL": url,
        "AIRFLOW__API_AUTH__JWT_SECRET": "browser-test-secret-not-for-production",
        "AIRFLOW__SAGEMAKER_SIZING__RESULTS_ROOTS": str(results_root),
    }
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "airflow"),
                "api-server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(url, process, log_file)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"api-server exited with {process.returncode}:\n{log_file.read_text()[-3000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/api/v2/monitor/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"api-server did not answer within 180 s:\n{log_file.read_text()[-3000:]}")


def chromium() -> str:
    """Debian's chromium, which scripts/setup.sh installs (a test never installs anything)."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(
            "chromium is not installed: run `make setup` (scripts/setup.sh installs the Debian package"
            " chromium)",
            pytrace=False,
        )
    return found


def headless_chromium(profile_dir: Path) -> list[str]:
    """Chromium without a display, as root in a container, with its own profile: every browser
    test starts it this way (then adds what it does)."""
    return [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile_dir}",
    ]


def screenshot(url: str, png: Path, profile_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *headless_chromium(profile_dir),
            "--hide-scrollbars",
            "--window-size=1280,2800",  # the whole report down to its step table
            "--virtual-time-budget=5000",
            f"--screenshot={png}",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def dump_dom(url: str, profile_dir: Path) -> str:
    """The page's DOM as Chromium has it once loaded (after redirects and scripts)."""
    done = subprocess.run(
        [
            *headless_chromium(profile_dir),
            "--virtual-time-budget=5000",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.stdout


def png_colours(path: Path) -> dict[tuple[int, ...], int]:
    """Pixel counts per colour of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, (depth, colour_type, interlace)
    channels = 3 if colour_type == 2 else 4
    raw, stride = zlib.decompress(idat), width * channels
    previous, counts = bytearray(stride), dict[tuple[int, ...], int]()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, up_left = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else up_left)) & 0xFF
        for i in range(0, stride, channels * 4):  # every 4th pixel is plenty to judge blankness
            colour = tuple(line[i : i + 3])
            counts[colour] = counts.get(colour, 0) + 1
        previous = line
    return counts
