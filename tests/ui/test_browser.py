"""Once in a real browser: headless Chromium opens the final report through Airflow's API server.

The plugin is loaded by the real API server (from plugins/), the report is reached at its plugin
URL after Airflow's own login redirect, and the screenshot shows the report's table and charts.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.ui.browser import dump_dom, png_colours, render_sample_report, running_api_server, screenshot

RUN = "sagemaker_sizing__manual__2026-02-03T04_05_06.000000_00_00"

pytestmark = pytest.mark.e2e


def test_chromium_shows_the_final_report_through_the_api_server(tmp_path: Path) -> None:
    root = tmp_path / "results"
    render_sample_report(root / RUN)
    report_path = f"/sagemaker-sizing/runs/{RUN}/report.html"

    with running_api_server(root, tmp_path / "api-server.log") as url:
        # All admins: Airflow's middleware authenticates every request (the 401 without a user is
        # in test_links_and_plugin.py); a token from its login endpoint works as for a real user.
        token = httpx.get(f"{url}/auth/token").json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        served = httpx.get(url + report_path, headers=auth)
        assert served.status_code == 200
        assert "ml.m5.large" in served.text and "<svg" in served.text
        assert (
            httpx.get(f"{url}/sagemaker-sizing/runs/{RUN}/recommendation.json", headers=auth).json()[
                "recommendation"
            ]["max_instance_count"]
            == 2
        )
        assert (
            httpx.get(f"{url}/sagemaker-sizing/runs/{RUN}/..%2f..%2fapi-server.log", headers=auth).status_code
            == 404
        )
        # The UI's navigation gets the plugin's views.
        plugins = httpx.get(f"{url}/api/v2/plugins", headers=auth).json()["plugins"]
        (ours,) = [p for p in plugins if p["name"] == "sagemaker_sizing"]
        assert {v["name"] for v in ours["external_views"]} == {"Sizing runs", "Sizing report"}

        png = tmp_path / "report.png"
        login = f"{url}/auth/token/login?next={report_path}"
        done = screenshot(login, png, tmp_path / "chromium-profile")
        # Where the browser ended after the login redirect: the report, not a login form.
        dom = dump_dom(login, tmp_path / "chromium-profile-dom")

    # The report's heading, and its title with the run's headline (a recommendation here).
    assert "<h1>browser-model - Endpoint Sizing Results</h1>" in dom, dom[:2000]
    assert "<title>browser-model - Recommended: ml.m5.large" in dom, dom[:2000]
    assert dom.count("<svg") >= 2 and "ml.m5.large" in dom
    assert 'type="password"' not in dom
    assert png.is_file() and png.stat().st_size > 10_000, done.stderr[-2000:]
    colours = png_colours(png)
    background, most = max(colours.items(), key=lambda kv: kv[1])
    total = sum(colours.values())
    # A page with a table and two charts: many colours, and far from one flat background.
    assert len(colours) > 50, len(colours)
    assert most / total < 0.95, (background, most / total)
    # The report's own colours (report.html.j2): its page background and table headers, and the
    # pass and fail cells of its step table (three steps passed, one failed). A login page has
    # none of them.
    report_colours = {
        "page": colours.get((0xF1, 0xF6, 0xFB), 0),
        "pass": colours.get((0xE5, 0xFF, 0xE5), 0),
        "fail": colours.get((0xFF, 0xEA, 0xE5), 0),
    }
    print(report_colours)
    assert all(count > 20 for count in report_colours.values()), report_colours
    # Keep it where a person can look at it (pytest keeps the last few tmp dirs).
    print(f"screenshot: {png}")
