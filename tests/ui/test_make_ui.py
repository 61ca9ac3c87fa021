"""``make ui`` as a user meets it (issue 26, items 2 and 7), driven in headless Chromium.

The trigger form opened with 11 required fields empty (red, Trigger disabled), iam_role_arn and
host first; the command printed ~3,000 lines that buried the URL; its log servers listened on
every interface. Here ``sagemaker-sizing ui`` (what ``make ui`` execs) runs in a home of its own:
its output is a few lines naming the URL and how to stop it; nothing listens beyond loopback; the
trigger form opens valid with the demo's conf, model, peak, SLOs and candidates first and the rest
in folded sections; Trigger, pressed as a user does (no JSON pasted), starts a run that succeeds;
another conf pasted into **Advanced Options** → **Configuration JSON** (as the README says) fills
the fields and triggers a run of it; ``sagemaker-sizing ui --stop`` (``make ui-stop``) stops
everything.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest
from sagemaker_sizing.local.airflow_env import write_airflow_cfg
from sagemaker_sizing.paths import PROJECT_ROOT

from tests.ui.browser import free_port
from tests.ui.cdp import Page, browser_page

pytestmark = pytest.mark.e2e

DAG = "sagemaker_sizing"
READY_S = 600
RUN_S = 1200
# The fields of the form's open section, in order: what a user thinks about first.
FIRST_FIELDS = [
    "model_name",
    "peak_tps",
    "latency_success_p99",
    "percent_fail",
    "type_walk",
    "count_walk",
    "tps_walk",
    "scenario_requests",
    "region",
    "endpoint_name",
    "endpoint_config_name",
]
SECTIONS = ["Run Parameters", "Load test steps", "Serverless", "Cost and quotas", "Advanced"]
DIALOG_BUTTONS = "[...document.querySelectorAll('button')]"


@dataclass
class RunningUi:
    url: str
    process: subprocess.Popen[bytes]
    output: Path
    home: Path
    results: Path
    env: dict[str, str]


@pytest.fixture
def make_ui(tmp_path: Path) -> Iterator[RunningUi]:
    """``sagemaker-sizing ui`` in a home and a local SageMaker of its own, until its "ready" line."""
    home = tmp_path / "airflow_home"
    write_airflow_cfg(home)
    port = free_port()
    env = {**os.environ, "AIRFLOW_HOME": str(home)}
    # The DAG already in Airflow with its empty form, as `make demo` leaves it: `make ui` is ready
    # only once Airflow has the form it opens with (a race a fresh clone lost: "required" fields).
    airflow = str(Path(sys.executable).with_name("airflow"))
    for step in (["db", "migrate"], ["dags", "reserialize"]):
        subprocess.run([airflow, *step], env=env, capture_output=True, timeout=600, check=True)
    output = tmp_path / "ui.out"
    command = [sys.executable, "-m", "sagemaker_sizing.cli", "ui", "--port", str(port)]
    command += ["--local-dir", str(tmp_path / "local"), "--results-dir", str(tmp_path / "results")]
    with output.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    tree: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + READY_S
        while "(ready)" not in output.read_text(errors="replace"):
            assert process.poll() is None, f"ui exited:\n{output.read_text()}"
            assert time.monotonic() < deadline, f"not ready:\n{output.read_text()}"
            time.sleep(2)
        tree = psutil.Process(process.pid).children(recursive=True)
        yield RunningUi(f"http://127.0.0.1:{port}", process, output, home, tmp_path / "results", env)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
        for member in tree:
            if member.is_running():
                member.kill()


def test_make_ui_prints_little_listens_on_loopback_and_its_form_triggers_a_sizing(make_ui: RunningUi) -> None:
    printed = make_ui.output.read_text().splitlines()
    # A few lines, the URL among them and how to stop; Airflow's own output is in its log files.
    assert len(printed) <= 12, printed
    assert f"Airflow UI: {make_ui.url}  (ready)" in printed
    assert any("Ctrl-C" in line and "make ui-stop" in line for line in printed), printed
    assert any("the form opens with demo.conf.json (0.15-minute steps)" in line for line in printed), printed
    assert not any("standalone |" in line or "scheduler  |" in line for line in printed), printed
    # Nothing it started listens beyond loopback: no log server on [::]:8793 / 0.0.0.0:8794.
    listening = _listening(make_ui.process.pid)
    assert listening and all(ip in ("127.0.0.1", "::1") for ip, _ in listening), listening
    assert not {8793, 8794} & {port for _, port in listening}

    form = asyncio.run(_trigger_from_the_form(make_ui.url, make_ui.output.parent))
    assert form["first"] == FIRST_FIELDS, form["first"]
    assert form["sections"] == SECTIONS, form["sections"]
    assert not form["required_errors"] and form["trigger_enabled"], form
    assert not form["folded_visible"], form  # duration_minutes and the rest wait in their sections
    assert form["values"]["model_name"] == "sizing-demo-model"
    assert form["values"]["type_walk"] == "ml.m5.large,ml.m5.xlarge"

    run = _the_run_it_started(make_ui.url)
    assert run["conf"] == {} or run["conf"].get("duration_minutes") in (None, 0.15), run["conf"]
    state = _wait_for_the_run(make_ui.url, run["dag_run_id"])
    assert state == "success", state
    [folder] = [f for f in make_ui.results.iterdir() if f.is_dir()]
    answer = json.loads((folder / "recommendation.json").read_text())
    assert answer["status"] == "recommended", answer["headline"]
    assert answer["inputs"]["duration_minutes"] == 0.15  # the demo's short steps, not 3 minutes

    # Another conf pasted as the README says (Advanced Options -> Configuration JSON): the fields
    # follow it, no "required" error is left, and Trigger starts a run of that conf.
    pasted = _serverless_conf(make_ui.results / "pasted")
    form = asyncio.run(_paste_and_trigger(make_ui.url, make_ui.output.parent, pasted))
    assert not form["required_errors"] and form["trigger_enabled"], form
    assert form["values"]["type_walk"] == "ml.m5.large", form["values"]
    assert form["values"]["endpoint_kinds"] == "realtime,serverless", form["values"]
    second = _the_newest_run(make_ui.url, other_than=run["dag_run_id"])
    assert {key: second["conf"].get(key) for key in pasted} == pasted, second["conf"]

    # `make ui-stop`: everything stops, the command exits 0.
    tree = psutil.Process(make_ui.process.pid).children(recursive=True)
    stop = subprocess.run(
        [sys.executable, "-m", "sagemaker_sizing.cli", "ui", "--stop"],
        env=make_ui.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert stop.returncode == 0 and "stopped `sagemaker-sizing ui`" in stop.stdout, stop.stdout + stop.stderr
    assert make_ui.process.wait(timeout=30) == 0
    assert [p.pid for p in tree if _alive(p)] == []


async def _trigger_from_the_form(url: str, tmp_path: Path) -> dict[str, object]:
    async with browser_page(tmp_path / "chromium-profile") as page:
        await page.goto(f"{url}/dags/{DAG}")
        await page.wait_for(f"{DIALOG_BUTTONS}.some(b => b.innerText.trim() === 'Trigger')", 180)
        await page.evaluate(f"{DIALOG_BUTTONS}.find(b => b.innerText.trim() === 'Trigger').click()")
        await page.wait_for("!!document.querySelector('#element_model_name') && "
                            "document.querySelector('#element_model_name').value !== ''", 120)  # fmt: skip
        await asyncio.sleep(2)  # the form settles its validation
        form = json.loads(await page.evaluate(FORM))
        await _press_trigger(page)
        return dict(form)


FORM = f"""JSON.stringify((() => {{
  const fields = [...document.querySelectorAll('[id^="element_"]')];
  const visible = el => el.getClientRects().length > 0;
  const names = ['Run Parameters', 'Load test steps', 'Serverless', 'Cost and quotas', 'Advanced'];
  const triggers = {DIALOG_BUTTONS}.filter(b => b.innerText.trim() === 'Trigger');
  return {{
    // The visible fields' labels, in the form's order (a number field's input has another id).
    first: [...document.querySelectorAll('label')].filter(visible)
      .map(label => label.innerText.replace('*', '').trim()).filter(text => /^[a-z][a-z0-9_]*$/.test(text)),
    sections: {DIALOG_BUTTONS}.map(b => b.innerText.trim()).filter(t => names.includes(t)),
    required_errors: document.body.innerText.includes('This field is required'),
    trigger_enabled: !triggers[triggers.length - 1].disabled,
    folded_visible: [...document.querySelectorAll('label')].some(
      label => visible(label) && label.innerText.replace('*', '').trim() === 'duration_minutes'),
    values: Object.fromEntries(fields.map(el => [el.id.replace('element_', ''), el.value])),
  }};
}})())"""


async def _press_trigger(page: Page) -> None:
    """The dialog's own Trigger button (the last one; the first opened the dialog)."""
    await page.evaluate(f"{DIALOG_BUTTONS}.filter(b => b.innerText.trim() === 'Trigger').pop().click()")


def _serverless_conf(results: Path) -> dict[str, object]:
    """The serverless example as a user pastes it: its payload path read from the project's root."""
    conf = json.loads((PROJECT_ROOT / "include" / "examples" / "serverless.conf.json").read_text())
    conf["scenario_requests"] = [{"path": "include/examples/sample.input.json", "weight": 100}]
    conf["perfsize_results_dir"] = str(results)
    return dict(conf)


async def _paste_and_trigger(url: str, tmp_path: Path, conf: dict[str, object]) -> dict[str, object]:
    """Trigger's form, **Advanced Options** opened, ``conf`` pasted over **Configuration JSON**
    (a real paste: Monaco's own paste handler), then the dialog's Trigger pressed."""
    async with browser_page(tmp_path / "chromium-profile-paste") as page:
        await page.goto(f"{url}/dags/{DAG}")
        await page.wait_for(f"{DIALOG_BUTTONS}.some(b => b.innerText.trim() === 'Trigger')", 180)
        await page.evaluate(f"{DIALOG_BUTTONS}.find(b => b.innerText.trim() === 'Trigger').click()")
        await page.wait_for("!!document.querySelector('#element_model_name') && "
                            "document.querySelector('#element_model_name').value !== ''", 120)  # fmt: skip
        advanced = f"{DIALOG_BUTTONS}.find(b => b.innerText.trim() === 'Advanced Options')"
        await page.evaluate(f"{advanced}.scrollIntoView()")
        await _click(page, advanced)  # the accordion opens on a pointer's click, not on .click()
        editor = "document.querySelector('.monaco-editor')"
        await page.wait_for(f"!!{editor} && {editor}.getClientRects().length > 0", 30)
        await asyncio.sleep(1)  # the accordion's opening animation
        await page.evaluate(f"{editor}.scrollIntoView()")
        await _click(page, "document.querySelector('.monaco-editor .view-lines')")
        await page.wait_for(f"{editor}.contains(document.activeElement)", 30)
        select_all = {"key": "a", "code": "KeyA", "modifiers": 2, "windowsVirtualKeyCode": 65}
        await page.call(
            "Input.dispatchKeyEvent", {"type": "keyDown", **select_all, "commands": ["selectAll"]}
        )
        await page.call("Input.dispatchKeyEvent", {"type": "keyUp", **select_all})
        text = json.dumps(json.dumps(conf, indent=2))
        await page.evaluate(
            "(() => { const data = new DataTransfer(); data.setData('text/plain', " + text + ");"
            " document.querySelector('.monaco-editor textarea').dispatchEvent("
            "new ClipboardEvent('paste', {clipboardData: data, bubbles: true, cancelable: true})); })()"
        )
        # The editor holds the pasted conf (one of its lines), then loses focus as a user moves on.
        await page.wait_for(f"{editor}.innerText.includes('realtime,serverless')", 30)
        await _click(
            page,
            "[...document.querySelectorAll('label')].find(l => l.innerText.includes('Configuration JSON'))",
        )
        await asyncio.sleep(2)  # the form takes the JSON on blur and settles its validation
        form = json.loads(await page.evaluate(FORM))
        await _press_trigger(page)
        await asyncio.sleep(2)
        return dict(form)


async def _click(page: Page, element: str) -> None:
    """A pointer's click near the top left of ``element`` (a JavaScript expression)."""
    box = json.loads(await page.evaluate(f"JSON.stringify(({element}).getBoundingClientRect())"))
    x, y = box["x"] + min(box["width"] / 2, 50), box["y"] + min(box["height"] / 2, 10)
    for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
        await page.call(
            "Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}
        )


def _the_newest_run(url: str, other_than: object) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = _api(url, f"/dags/{DAG}/dagRuns")["dag_runs"]
        assert isinstance(runs, list)
        new = [r for r in runs if r["dag_run_id"] != other_than]
        if new:
            assert len(new) == 1, new
            return dict(new[0])
        time.sleep(2)
    raise AssertionError("pressing Trigger after the paste started no run")


def _api(url: str, path: str) -> dict[str, object]:
    with urllib.request.urlopen(f"{url}/auth/token", timeout=30) as answer:
        token = json.loads(answer.read())["access_token"]
    request = urllib.request.Request(f"{url}/api/v2{path}", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return dict(json.loads(answer.read()))


def _the_run_it_started(url: str) -> dict[str, object]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        runs = _api(url, f"/dags/{DAG}/dagRuns")["dag_runs"]
        assert isinstance(runs, list)
        if runs:
            assert len(runs) == 1, runs
            return dict(runs[0])
        time.sleep(2)
    raise AssertionError("pressing Trigger started no run")


def _wait_for_the_run(url: str, run_id: str) -> str:
    deadline = time.monotonic() + RUN_S
    state = "queued"
    while time.monotonic() < deadline:
        state = str(_api(url, f"/dags/{DAG}/dagRuns/{urllib.request.quote(run_id, safe='')}")["state"])
        if state in ("success", "failed"):
            return state
        time.sleep(5)
    return state


def _listening(root_pid: int) -> list[tuple[str, int]]:
    """(address, port) of every listening socket of the process tree under ``root_pid``."""
    pids = {root_pid, *(p.pid for p in psutil.Process(root_pid).children(recursive=True))}
    return [
        (c.laddr.ip, c.laddr.port)
        for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and c.pid in pids
    ]


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
