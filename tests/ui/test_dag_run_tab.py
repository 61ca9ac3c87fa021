"""The "Sizing report" tab of a DAG run in Airflow's own UI, clicked in headless Chromium.

Issue 16: the run page showed an empty red error bar above its tabs. That bar is Airflow's
"Dag warnings/errors" button, shown when the page's own request for the DAG run fails: a page
addressed with an id Airflow does not know (a run folder's name, the run key, is not a run id).
Here the tab of real runs (a run id with ``+`` and ``:``; with a report, and without one) must
load without a single failed request or console error and without the bar; and the tab of a
folder's name used as a run id shows the bar (the check sees it) and our page naming the run id.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from sagemaker_sizing.core.files import run_folder_name
from sagemaker_sizing.paths import INCLUDE_DIR

from tests.ui.browser import VENV_BIN, render_sample_report, running_api_server
from tests.ui.cdp import Page, browser_page

pytestmark = pytest.mark.e2e

DAG = "sagemaker_sizing"
TAB = "plugin/sagemaker-sizing-report"
RED_BAR = "!!document.querySelector('button[aria-label^=\"Dag warnings\"]')"
IFRAME_TEXT = (
    "(() => { const f = document.querySelector('iframe[title=\"Sizing report\"]');"
    " const d = f && f.contentDocument;"
    " return d && d.readyState === 'complete' && d.body ? d.body.innerText : ''; })()"
)


@pytest.fixture
def dag_runs() -> Iterator[tuple[str, str]]:
    """Two DAG runs in the metadata DB, both failed (no scheduler takes them); removed afterwards."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import delete, update

    tag = uuid.uuid4().hex[:8]
    ids = (f"tab+report:{tag}", f"tab+none:{tag}")
    conf = (INCLUDE_DIR / "examples" / "demo.conf.json").read_text()
    airflow = str(VENV_BIN / "airflow")
    subprocess.run([airflow, "dags", "reserialize"], check=True, capture_output=True, timeout=300)
    try:
        for run_id in ids:
            subprocess.run(
                [airflow, "dags", "trigger", DAG, "--run-id", run_id, "--conf", conf],
                check=True,
                capture_output=True,
                timeout=300,
            )
        with create_session() as session:
            session.execute(
                update(DagRun).where(DagRun.dag_id == DAG, DagRun.run_id.in_(ids)).values(state="failed")
            )
        yield ids
    finally:
        with create_session() as session:
            session.execute(delete(DagRun).where(DagRun.dag_id == DAG, DagRun.run_id.in_(ids)))


def test_the_sizing_report_tab_loads_without_a_failed_request(
    tmp_path: Path, dag_runs: tuple[str, str]
) -> None:
    with_report, without_report = dag_runs
    root = tmp_path / "results"
    render_sample_report(root / run_folder_name(DAG, with_report))
    log = tmp_path / "api-server.log"
    with running_api_server(root, log) as url:
        try:
            asyncio.run(_visit(url, tmp_path, with_report, without_report))
        except AssertionError as failure:
            raise AssertionError(f"{failure}\napi-server log (end):\n{log.read_text()[-3000:]}") from None


async def _visit(url: str, tmp_path: Path, with_report: str, without_report: str) -> None:
    async with browser_page(tmp_path / "chromium-profile") as page:
        report = await _click_the_tab(page, url, with_report, "Endpoint Sizing Results")
        assert "browser-model" in report and "ml.m5.large" in report

        words = await _click_the_tab(page, url, without_report, "No sizing report for this run yet")
        assert without_report in words and "failed" in words

        # The symptom itself, for the id the project shows everywhere: the folder's name.
        folder = run_folder_name(DAG, with_report)
        await page.goto(f"{url}/dags/{DAG}/runs/{folder}/{TAB}")
        text = await page.wait_for(f"{IFRAME_TEXT}.includes('Airflow has no run') && {IFRAME_TEXT}")
        assert await page.wait_for(RED_BAR), "no red bar: the check would miss the symptom"
        assert with_report in text, text


async def _click_the_tab(page: Page, url: str, run_id: str, expected: str) -> str:
    """Open the run's page (its first tab), click "Sizing report", return the tab's text."""
    run_path = f"/dags/{DAG}/runs/{quote(run_id, safe='')}"
    await page.goto(f"{url}/auth/token/login?next={quote(run_path, safe='')}")
    link = f"document.querySelector('a[href$=\"/{TAB}\"]')"
    await page.wait_for(f"{link} && document.body.innerText.includes({json.dumps(run_id)})")
    since = page.mark()
    await page.evaluate(f"{link}.click()")
    text = await page.wait_for(f"{IFRAME_TEXT}.includes({json.dumps(expected)}) && {IFRAME_TEXT}")
    await asyncio.sleep(3)  # the run page's own queries after the click
    location = await page.evaluate("location.pathname")
    assert location == f"{run_path}/{TAB}" or location == f"/dags/{DAG}/runs/{run_id}/{TAB}", location
    failed = [
        (r.status, r.failure, r.kind, r.url)
        for r in page.requests(since)
        if (r.status or 0) >= 400 or r.failure not in (None, "net::ERR_ABORTED")
    ]
    assert not failed, failed
    assert not page.errors(since), page.errors(since)
    assert not await page.evaluate(RED_BAR), "the red error bar is shown above the tabs"
    return str(text)
