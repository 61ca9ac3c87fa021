"""The report of an endpoint of inference components in headless Chromium at 1,400 px: the
endpoint's table and the per-model table fit the page's width and read."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sagemaker_sizing.core.report.render import render_report

from tests.core.components_samples import components_report_content
from tests.ui.cdp import browser_page

pytestmark = pytest.mark.e2e  # starts Chromium


def test_a_components_report_fits_1400_px_and_shows_each_model(tmp_path: Path) -> None:
    run_dir = tmp_path / "sagemaker_sizing__manual__components"
    html, _ = render_report(components_report_content(), run_id=run_dir.name, results_dir=run_dir)
    found = asyncio.run(_look(html, tmp_path))
    assert found["innerWidth"] == 1400, found
    assert found["scrollWidth"] <= found["innerWidth"], found  # no horizontal scrolling
    assert found["overflowing"] == [], found  # no table sticks out of the page's column
    assert found["models"] == ["ic-demo-chat", "ic-demo-summarize"], found
    assert found["scaling"] == "2..3", found
    assert found["shares"] == ["$2.61", "$5.22"], found
    assert "ml.g6e.xlarge, managed instance scaling 2..3" in found["headline"], found


async def _look(html: Path, tmp_path: Path) -> dict:
    async with browser_page(tmp_path / "chromium-profile") as page:
        await page.goto(html.as_uri())
        await page.wait_for(
            "document.readyState === 'complete' && !!document.getElementById('components-models-table')"
        )
        return await page.evaluate(
            """(() => {
              const main = document.querySelector('main').getBoundingClientRect();
              const overflowing = [...document.querySelectorAll('table, svg, figure')]
                .filter(e => e.getBoundingClientRect().right > main.right + 0.5)
                .map(e => e.id || e.tagName);
              const rows = [...document.querySelectorAll('#components-models-table tr[data-model]')];
              return {
                innerWidth: window.innerWidth,
                scrollWidth: document.documentElement.scrollWidth,
                overflowing,
                models: rows.map(r => r.dataset.model),
                shares: rows.map(r => r.querySelector('[data-key="cost_share"]').innerText.trim()),
                scaling: document.querySelector('[data-key="inference_components.managed_instance_scaling"]')
                  .innerText.trim(),
                headline: document.getElementById('headline').innerText,
              };
            })()"""
        )
