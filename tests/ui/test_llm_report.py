"""An LLM sizing's report in headless Chromium at 1,400 px: everything fits the page's width (the
steps table has sixteen columns), the knee charts are drawn, and the recommendation reads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sagemaker_sizing.core.report.render import render_report

from tests.core.llm_samples import llm_report_content
from tests.ui.cdp import browser_page

pytestmark = pytest.mark.e2e  # starts Chromium


def test_an_llm_report_fits_1400_px_and_shows_its_knee(tmp_path: Path) -> None:
    run_dir = tmp_path / "sagemaker_sizing__manual__llm"
    content = llm_report_content()
    html, _ = render_report(content, run_id=run_dir.name, results_dir=run_dir)
    found = asyncio.run(_look(html, tmp_path))
    assert found["innerWidth"] == 1400, found
    assert found["scrollWidth"] <= found["innerWidth"], found  # no horizontal scrolling
    # No table or chart sticks out of the page's column (main).
    assert found["overflowing"] == [], found
    assert found["knees"] == 2 and found["kneePoints"] >= 10, found
    assert found["stepRows"] == len(content.results) >= 10, found  # one row a step
    assert "ml.g6.xlarge x4 for 6 req/s" in found["headline"], found


async def _look(html: Path, tmp_path: Path) -> dict:
    async with browser_page(tmp_path / "chromium-profile") as page:
        await page.goto(html.as_uri())
        await page.wait_for("document.readyState === 'complete' && !!document.getElementById('steps-table')")
        return await page.evaluate(
            """(() => {
              const main = document.querySelector('main').getBoundingClientRect();
              const overflowing = [...document.querySelectorAll('table, svg, figure')]
                .filter(e => e.getBoundingClientRect().right > main.right + 0.5)
                .map(e => e.id || e.tagName);
              return {
                innerWidth: window.innerWidth,
                scrollWidth: document.documentElement.scrollWidth,
                overflowing,
                knees: document.querySelectorAll('#ttft-knee-chart, #itl-knee-chart').length,
                kneePoints: document.querySelectorAll('[id$="-knee-chart"] .point').length,
                stepRows: document.querySelectorAll('#steps-table tbody tr').length,
                headline: document.getElementById('headline').innerText,
              };
            })()"""
        )
