"""The "Sizing runs" page in Airflow's UI at 1,400 px, clicked in headless Chromium (issue 26).

It cut its Files column at 1,400 px, showed run ids a user could not click, and said nothing of
why a run failed. Here: the page inside Airflow's frame fits it (every row's files visible), each
run says its headline (a failed run its cause), and a run id opens that run's page in Airflow.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from sagemaker_sizing.core.files import run_folder_name

from tests.ui.browser import running_api_server
from tests.ui.cdp import Page, browser_page
from tests.ui.outcome_reports import render_outcome
from tests.ui.test_dag_run_tab import DAG, dag_runs  # noqa: F401 (a fixture)

pytestmark = pytest.mark.e2e

FRAME = "document.querySelector('iframe[title=\"Sizing runs\"]')"
FRAME_DOC = f"({FRAME} && {FRAME}.contentDocument)"
MEASURE = f"""(() => {{
  const frame = {FRAME}, doc = frame.contentDocument;
  const rows = [...doc.querySelectorAll('#runs tbody tr')].map(row => ({{
    folder: row.dataset.folder,
    headline: row.querySelector('td.headline').innerText,
    files_right: row.querySelector('td.files').getBoundingClientRect().right,
    link: (row.querySelector('td.run-id a') || {{}}).href || null,
  }}));
  return JSON.stringify({{
    frame_width: frame.clientWidth,
    scroll_width: doc.documentElement.scrollWidth,
    window_scroll_width: document.documentElement.scrollWidth,
    rows: rows,
  }});
}})()"""


def test_the_sizing_runs_page_fits_1400_px_says_why_a_run_failed_and_links_each_run(
    tmp_path: Path,
    dag_runs: tuple[str, str],  # noqa: F811
) -> None:
    failed_run, _ = dag_runs
    root = tmp_path / "results"
    failed_folder = run_folder_name(DAG, failed_run)
    render_outcome("failed", root / failed_folder)
    for outcome in ("serverless cheaper", "recommended"):  # folders Airflow has no run for
        render_outcome(outcome, root / run_folder_name(DAG, f"manual__{outcome.replace(' ', '-')}"))
    log = tmp_path / "api-server.log"
    with running_api_server(root, log) as url:
        try:
            page = asyncio.run(_visit(url, tmp_path, failed_run))
        except AssertionError as failure:
            raise AssertionError(f"{failure}\napi-server log (end):\n{log.read_text()[-3000:]}") from None
    assert page["window_scroll_width"] <= 1400, page
    assert page["scroll_width"] <= page["frame_width"], page
    rows = {row["folder"]: row for row in page["rows"]}
    assert len(rows) == 3
    for row in rows.values():
        assert row["files_right"] <= page["frame_width"], (row, page["frame_width"])
    failed = rows[failed_folder]
    expected = json.loads((root / failed_folder / "recommendation.json").read_text())["headline"]
    assert failed["headline"] == expected and "Connection refused" in expected
    assert failed["link"] == f"{url}/dags/{DAG}/runs/{quote(failed_run, safe='')}"
    cheaper = rows[run_folder_name(DAG, "manual__serverless-cheaper")]
    assert cheaper["headline"].startswith("Recommended: serverless 2048 MB")
    assert cheaper["link"] is None  # no DAG run in Airflow: nothing to open


async def _visit(url: str, tmp_path: Path, failed_run: str) -> dict[str, object]:
    async with browser_page(tmp_path / "chromium-profile") as page:
        await page.goto(f"{url}/auth/token/login?next={quote('/plugin/sagemaker-sizing', safe='')}")
        await page.wait_for(f"{FRAME_DOC} && {FRAME_DOC}.querySelectorAll('#runs tbody tr').length === 3")
        measured = json.loads(await page.evaluate(MEASURE))
        await _click_the_run(page, failed_run)
        return dict(measured)


async def _click_the_run(page: Page, run_id: str) -> None:
    """The run id opens the run's page in Airflow's own UI, not inside the frame."""
    await page.evaluate(f"{FRAME_DOC}.querySelector('td.run-id a').click()")
    path = f"/dags/{DAG}/runs/{quote(run_id, safe='')}"
    await page.wait_for(f"location.pathname === {json.dumps(path)} || location.pathname === "
                        f"{json.dumps(f'/dags/{DAG}/runs/{run_id}')}")  # fmt: skip
    await page.wait_for(f"document.body.innerText.includes({json.dumps(run_id)})")
