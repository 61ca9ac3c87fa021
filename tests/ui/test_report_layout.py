"""The report of every run outcome, laid out by a real browser at 1,400 px (issue 26).

A failed step once made the report 1,900 px wide (the rule for an error step's message also
matched the step's row, ``<tr class="error">``): headless Chromium opens each outcome's report and
measures what a reader sees: nothing wider than the window, no table column wider than the
widest cell it holds, and the headline first, above everything else.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from tests.ui.cdp import browser_page
from tests.ui.outcome_reports import OUTCOMES, render_outcome

pytestmark = pytest.mark.e2e

# What recommendation.json says of each outcome's run, and how its headline starts: the layout is
# measured on the outcome the name promises.
STATUS_AND_HEADLINE = {
    "recommended": ("recommended", "Recommended: ml.m5.large"),
    "partial": ("partial", "Partial result:"),
    "none": ("none", "No configuration met the requirements"),
    "budget": ("budget", "Stopped by the budget"),
    "failed": ("failed", "Run failed: setup error"),
    "serverless cheaper": ("recommended", "Recommended: serverless"),
    "serverless dearer": ("recommended", "Recommended: ml.m5.large x1"),
}
WINDOW_WIDTH = 1400  # tests.ui.cdp opens its window this wide
# Pixels a column may exceed what its content needs by (rounding, collapsed borders).
SLACK_PX = 4

MEASURE = """(() => {
  const px = (style, ...names) => names.reduce((sum, n) => sum + parseFloat(style[n] || 0), 0);
  const main = document.querySelector('main');
  const headline = document.getElementById('headline');
  const top = headline.getBoundingClientRect().top;
  const above = [...main.querySelectorAll('*')]
    .filter(el => el !== headline && !headline.contains(el) && !el.contains(headline))
    .filter(el => (el.innerText || '').trim() && el.getBoundingClientRect().height > 0)
    .filter(el => el.getBoundingClientRect().top < top - 0.5)
    .map(el => el.tagName + ': ' + el.innerText.slice(0, 60));
  // Each column's max-content width: the table cloned where nothing constrains it, CSS widths off.
  const unwrapped = table => {
    const clone = table.cloneNode(true);
    clone.removeAttribute('id');
    const box = document.createElement('div');
    box.style.cssText = 'position:absolute; left:0; top:0; visibility:hidden; width:max-content';
    box.appendChild(clone);
    main.appendChild(box);
    const widths = new Map();
    for (const row of clone.rows) {
      for (const cell of row.cells) {
        cell.style.width = 'auto'; cell.style.minWidth = '0'; cell.style.maxWidth = 'none';
      }
    }
    for (const row of clone.rows) {
      for (const cell of row.cells) {
        if (cell.colSpan !== 1) continue;
        const width = cell.getBoundingClientRect().width;
        widths.set(cell.cellIndex, Math.max(widths.get(cell.cellIndex) || 0, width));
      }
    }
    box.remove();
    return widths;
  };
  const columns = [];
  document.querySelectorAll('table').forEach((table, t) => {
    const cols = new Map();
    const maxContent = unwrapped(table);
    for (const row of table.rows) {
      for (const cell of row.cells) {
        if (cell.colSpan !== 1) continue;
        const box = cell.getBoundingClientRect();
        const style = getComputedStyle(cell);
        const range = document.createRange();
        range.selectNodeContents(cell);
        const rects = [...range.getClientRects()].filter(r => r.width > 0);
        const content = rects.length
          ? Math.max(...rects.map(r => r.right)) - Math.min(...rects.map(r => r.left)) : 0;
        const edges = px(style, 'paddingLeft', 'paddingRight', 'borderLeftWidth', 'borderRightWidth');
        const needs = content + edges;
        const col = cols.get(cell.cellIndex) || {width: 0, needs: 0, text: ''};
        col.width = Math.max(col.width, box.width);
        if (needs > col.needs) { col.needs = needs; col.text = cell.innerText.slice(0, 40); }
        cols.set(cell.cellIndex, col);
      }
    }
    cols.forEach((col, i) => columns.push(
      {table: table.id || ('table ' + t), column: i, max_content: maxContent.get(i) || 0, ...col}));
  });
  return JSON.stringify({
    scroll_width: document.documentElement.scrollWidth,
    first: main.firstElementChild.id,
    headline: headline.innerText,
    above: above,
    columns: columns,
  });
})()"""


def test_the_report_of_every_outcome_fits_1400_px_with_the_headline_first(tmp_path: Path) -> None:
    assert set(STATUS_AND_HEADLINE) == set(OUTCOMES)
    reports = {outcome: render_outcome(outcome, tmp_path / outcome.replace(" ", "-")) for outcome in OUTCOMES}
    measured = asyncio.run(_measure(reports, tmp_path / "chromium-profile"))
    for outcome, page in measured.items():
        answer = json.loads((reports[outcome].parent / "recommendation.json").read_text())
        status, starts = STATUS_AND_HEADLINE[outcome]
        headline = answer["headline"]
        assert answer["status"] == status and headline.startswith(starts), (outcome, headline)
        assert page["first"] == "headline" and page["headline"] == headline, (outcome, page["headline"])
        assert page["above"] == [], (outcome, page["above"])
        assert page["scroll_width"] <= WINDOW_WIDTH, (outcome, page["scroll_width"])
        # A column needs its widest cell laid out (text wrapped in it fills it), and never more than
        # that cell unwrapped: wrapped text leaves room at its lines' ends, less than a word.
        wide = [
            c
            for c in page["columns"]
            if c["width"] > c["needs"] + SLACK_PX and c["width"] > c["max_content"] + SLACK_PX
        ]
        assert wide == [], (outcome, wide)


async def _measure(reports: dict[str, Path], profile: Path) -> dict[str, dict[str, Any]]:
    found = {}
    async with browser_page(profile) as page:
        assert await page.evaluate("window.innerWidth") == WINDOW_WIDTH
        for outcome, html in reports.items():
            await page.goto(html.as_uri())
            await page.wait_for("document.readyState === 'complete' && !!document.getElementById('headline')")
            found[outcome] = json.loads(await page.evaluate(MEASURE))
    return found
