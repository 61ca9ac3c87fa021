from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

import pytest
from sagemaker_sizing.core.model import (
    PHASE_MAX,
    PHASE_MIN,
    PHASE_TYPE,
    Recommendation,
    StepConfig,
    StepResult,
)
from sagemaker_sizing.core.report.assemble import ReportContent
from sagemaker_sizing.core.report.format import fmt_money, fmt_num, money_str
from sagemaker_sizing.core.report.render import render_report
from sagemaker_sizing.core.serde import recommendation_from_dict
from sagemaker_sizing.core.verdicts.run_outcome import run_outcome

if TYPE_CHECKING:
    from pathlib import Path

EVIL = "<script>alert('x')</script>&amp;"
VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "source", "wbr"}


# --- a small DOM, enough to query the report like a reader would --------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children).strip()

    def all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                    child.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items()
                ):
                    found.append(child)
                found.extend(child.all(tag, **attrs))
        return found

    def one(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one {tag} {attrs}, found {len(found)}"
        return found[0]

    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(path: Path) -> Node:
    builder = TreeBuilder()
    builder.feed(path.read_text(encoding="utf-8"))
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


# --- a realistic run: two types explored, endurance, autoscaling ---------------------------------


def fixed(rnd: int, itype: str, count: int, tps: float, p99: float, *, phase: str = PHASE_TYPE) -> StepResult:
    passed = p99 < 500
    minutes = 10.0 if phase == PHASE_MAX else 3.0
    return StepResult(
        step=StepConfig(phase, itype, count, tps, minutes),
        round=rnd,
        passed=passed,
        reason="all requirements met" if passed else f"p99 {p99:g} ms >= 500 ms",
        metrics={
            "count_total": int(tps * 60 * minutes),
            "percent_fail": 0.0 if passed else 2.75,
            "latency_success_p50": round(p99 / 3, 3),
            "latency_success_p99": p99,
            "achieved_tps": tps * 0.995,
        },
        folder=f"1628676529-{itype}-{count}-{tps:g}TPS-2021081110085{rnd}",
    )


def autoscaling(rnd: int, minimum: int, passed: bool, results_dir: Path) -> StepResult:
    config = StepConfig(PHASE_MIN, "ml.c5.xlarge", minimum, 200.0, 10.0, 20.0, 5.0, minimum, 3, 2000)
    return StepResult(
        step=config,
        round=rnd,
        passed=passed,
        reason="all requirements met" if passed else "percent_fail 7.5 >= 1",
        metrics={"count_total": 150000, "percent_fail": 0.0 if passed else 7.5, "latency_success_p99": 410.0},
        # An absolute folder inside the results dir: the link must become relative.
        folder=str(results_dir / f"1628690000-ml.c5.xlarge-{minimum}-200TPS scaling"),
    )


def sample_run(results_dir: Path) -> list[StepResult]:
    return [
        fixed(1, "ml.m5.large", 1, 10, 80.0),
        fixed(1, "ml.c5.xlarge", 1, 10, 61.5),
        fixed(2, "ml.m5.large", 1, 30, 190.25),
        fixed(2, "ml.c5.xlarge", 1, 30, 120.0),
        fixed(3, "ml.m5.large", 1, 50, 4100.0),
        fixed(3, "ml.c5.xlarge", 1, 70, 300.0),
        fixed(4, "ml.c5.xlarge", 1, 100, 900.0),
        fixed(5, "ml.c5.xlarge", 3, 200, 310.0, phase=PHASE_MAX),
        autoscaling(6, 1, False, results_dir),
        StepResult(
            step=StepConfig(PHASE_MIN, "ml.c5.xlarge", 2, 200.0, 10.0, 20.0, 5.0, 2, 3, 2000),
            round=7,
            passed=True,
            reason="all requirements met",
            metrics={},
            folder=None,
        ),
    ]


REC = Recommendation(
    instance_type="ml.c5.xlarge",
    tps_per_instance=70.0,
    instance_count_needed=3,
    max_instance_count=3,
    min_instance_count=2,
    invocations_target=2000,
    aws_formula_invocations_target=2100,
    hourly_cost_usd=Decimal("0.612"),
    explanation=("tps_per_instance = 70 / 1 = 70", "instance_count_needed = ceil(200 / 70) = 3"),
)
NO_REC = Recommendation(None, None, None, None, None, None, None, None, ("no step passed",))
CONF: dict[str, Any] = {
    "model_name": "churn-model",
    "endpoint_name": EVIL,
    "region": "us-west-2",
    "strategy": "adaptive",
    "peak_tps": 200,
    "latency_success_p99": 500,
    "percent_fail": 1,
    "safety_factor": 0.5,
    "type_walk": ["ml.m5.large", "ml.c5.xlarge"],
    "scenario_requests": [{"path": "sample.input.json", "weight": 100}],
}
COSTS: dict[str, Any] = {
    "hourly": "0.612",
    "daily": Decimal("14.688000"),  # Decimal arithmetic leftovers: shown to the cent
    "monthly": "446.76",
    "annual": "5361.12",
    "per_million_inferences": "0.850000",
    "per_type": {
        "ml.m5.large": {"hourly": "0.575", "instances": 5, "tps_per_instance": 45},
        "ml.c5.xlarge": {"hourly": "0.612", "instances": 3, "tps_per_instance": 70},
        "ml.g4dn.xlarge": {"hourly": None, "instances": None, "tps_per_instance": None},
    },
    "test_cost_usd": "1.23",
    "load_test_minutes": 61,
    "instance_minutes": 84,
}


def content(
    conf: dict[str, Any],
    results: list[StepResult],
    recommendation: Recommendation,
    costs: dict[str, Any],
    notes: tuple[str, ...] = (),
) -> ReportContent:
    """A hand-made report's content (core.report.assemble makes a real run's from its conf)."""
    return ReportContent(
        inputs=conf,
        results=tuple(results),
        recommendation=recommendation,
        costs=costs,
        outcome=run_outcome(results, recommendation, notes),
        notes=notes,
    )


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Node, dict[str, Any], list[StepResult], str]:
    results = sample_run(tmp_path)
    html_path, json_path = render_report(
        content(CONF, results, REC, COSTS, ("cost guard stopped round 8", "<b>not bold</b>")),
        run_id="manual__2024-05-01",
        results_dir=tmp_path,
    )
    assert (html_path, json_path) == (tmp_path / "report.html", tmp_path / "recommendation.json")
    return parse(html_path), json.loads(json_path.read_text()), results, html_path.read_text()


def _as_number(text: str) -> float | None:
    text = text.lstrip("$")
    return None if text == "—" else float(text)


def test_recommendation_table_shows_the_recommendation(rendered: Any) -> None:
    doc, data, _, _ = rendered
    table = doc.one("table", id="recommendation-table")
    cells = {td.attrs["data-key"]: td.text() for td in table.all("td") if "data-key" in td.attrs}
    assert cells["instance_type"] == "ml.c5.xlarge"
    assert cells["tps_per_instance"] == "70"
    assert cells["instance_count_needed"] == "3"
    assert cells["max_instance_count"] == "3"
    assert cells["min_instance_count"] == "2"
    assert cells["invocations_target"] == "2000"
    assert cells["aws_formula_invocations_target"] == "2100"
    assert cells["cost.hourly"] == "$0.612"
    assert cells["cost.monthly"] == "$446.76"
    assert cells["cost.daily"] == "$14.69" and data["costs"]["daily"] == "14.69"
    assert cells["cost.per_million_inferences"] == "$0.85"
    assert cells["cost.annual"] == "$5,361.12"
    assert cells["cost.min_hourly"] == "—"  # not given: rendered as a dash
    assert "int(200 / 3 * 60 * 0.5) = 2000" in table.text()
    assert "int(70 * 60 * 0.5) = 2100" in table.text()
    assert doc.one(id="status").attrs["data-status"] == "recommended"
    assert data["status"] == "recommended"
    # The JSON holds what the HTML shows.
    for key in ("instance_count_needed", "max_instance_count", "min_instance_count", "invocations_target"):
        assert _as_number(cells[key]) == data["recommendation"][key]
    for key in ("hourly", "daily", "monthly", "annual", "per_million_inferences"):
        assert cells[f"cost.{key}"].replace(",", "") == f"${data['costs'][key]}"
    assert recommendation_from_dict(data["recommendation"]) == REC


def test_every_step_has_a_row_matching_the_json(rendered: Any) -> None:
    doc, data, results, _ = rendered
    rows = [
        tr
        for tr in doc.one("table", id="steps-table").all("tr")
        if tr.attrs.get("id", "").startswith("step-")
    ]
    assert len(rows) == len(results) == len(data["steps"]) == 10
    for tr, result, step in zip(rows, results, data["steps"], strict=True):
        cells = {td.attrs["data-key"]: td for td in tr.all("td")}
        assert cells["round"].text() == str(result.round) == str(step["round"])
        assert cells["phase"].text() == result.step.phase
        assert cells["instance_type"].text() == result.step.instance_type
        assert cells["outcome"].text() == ("PASS" if result.passed else "FAIL") == step["outcome"].upper()
        assert ("pass" if result.passed else "fail") in tr.classes()
        assert cells["reason"].text().startswith(result.reason)
        for key in ("count_total", "percent_fail", "latency_success_p50", "latency_success_p99"):
            shown = _as_number(cells[key].text())
            expected = result.metrics.get(key)
            assert step[key] == expected
            assert shown == (None if expected is None else pytest.approx(expected, abs=0.005))
        achieved, target = cells["achieved_tps"].text().split(" / ")
        assert float(target) == result.step.steady_state_tps
        assert _as_number(achieved) == (
            None if step["achieved_tps"] is None else pytest.approx(step["achieved_tps"], abs=0.005)
        )
    # Sizes and load shapes in words.
    assert rows[7].one("td", data_key="size").text() == "3"
    assert rows[8].one("td", data_key="size").text() == "autoscaling 1..3 (target 2000/min)"
    assert rows[8].one("td", data_key="load_shape").text() == (
        "ramp 20→200 TPS over 5 min, then 200 TPS for 10 min"
    )
    assert data["summary"] == {"steps": 10, "passed": 7, "failed": 3, "errors": 0, "rounds": 7}


def test_each_step_links_to_its_gatling_report(rendered: Any) -> None:
    doc, data, results, _ = rendered
    rows = [tr for tr in doc.all("tr") if tr.attrs.get("id", "").startswith("step-")]
    links = [tr.one("td", data_key="report_link").all("a") for tr in rows]
    assert links[0][0].attrs["href"] == f"{results[0].folder}/index.html"
    # Absolute folder inside results_dir: relative link, space percent-encoded.
    assert links[8][0].attrs["href"] == "1628690000-ml.c5.xlarge-1-200TPS%20scaling/index.html"
    assert links[9] == []  # no folder, no link
    assert [s["report_link"] for s in data["steps"]] == [a[0].attrs["href"] if a else None for a in links]


def test_malicious_text_is_escaped(rendered: Any) -> None:
    doc, data, _, raw = rendered
    assert doc.all("script") == []
    assert doc.all("b") == []  # the note's <b> stayed text
    assert doc.one("code", id="endpoint-name").text() == EVIL
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;" in raw
    assert data["endpoint_name"] == EVIL
    note_items = [li.text() for li in doc.one("ul", class_="notes").all("li")]
    assert note_items == ["cost guard stopped round 8", "<b>not bold</b>"]
    assert data["notes"] == note_items


def test_no_javascript_and_nothing_fetched(rendered: Any) -> None:
    doc, _, _, raw = rendered
    assert doc.all("script") == [] and doc.all("link") == [] and doc.all("img") == []
    for node in doc.all():
        for name, value in node.attrs.items():
            assert not name.startswith("on"), f"event handler {name} on <{node.tag}>"
            if name in ("href", "src"):
                assert not value.startswith(("http:", "https:", "//", "javascript:")), value
    assert "@import" not in raw and "url(" not in raw


def test_latency_chart_has_one_point_per_fixed_step(rendered: Any) -> None:
    doc, data, _, _ = rendered
    chart = doc.one("svg", id="latency-chart")
    series = chart.all("g", class_="series")
    assert [g.attrs["data-instance-type"] for g in series] == ["ml.m5.large", "ml.c5.xlarge"]
    fixed_steps = [s for s in data["steps"] if not s["autoscaling"]]
    points = [n for n in chart.all() if "point" in n.classes()]
    assert len(points) == len(fixed_steps) == 8
    assert sum("pass" in p.classes() for p in points) == sum(s["passed"] for s in fixed_steps) == 6
    assert sum("fail" in p.classes() for p in points) == 2
    m5 = series[0]
    assert len([n for n in m5.all() if "point" in n.classes()]) == 3
    assert any("4100" in t.text() for t in m5.all("title"))  # off-scale point keeps its real value
    assert len(chart.all("line", class_="requirement")) == 1


def test_cost_chart_has_a_bar_per_priced_type(rendered: Any) -> None:
    doc, _, _, _ = rendered
    chart = doc.one("svg", id="cost-chart")
    bars = [g for g in chart.all("g") if "bar" in g.classes()]
    assert [b.attrs["data-instance-type"] for b in bars] == ["ml.m5.large", "ml.c5.xlarge"]
    assert ["recommended" in b.classes() for b in bars] == [False, True]
    heights = [float(b.one("rect").attrs["height"]) for b in bars]
    assert heights[0] < heights[1]
    assert heights[0] / heights[1] == pytest.approx(0.575 / 0.612, rel=0.01)
    rows = {
        tr.attrs["data-instance-type"]: tr.text()
        for tr in doc.one("table", id="cost-table").all("tr")
        if "data-instance-type" in tr.attrs
    }
    assert "—" in rows["ml.g4dn.xlarge"]
    assert "$0.575" in rows["ml.m5.large"]


def test_no_recommendation_is_said_plainly(tmp_path: Path) -> None:
    results = [fixed(1, "ml.m5.large", 1, 10, 900.0), fixed(2, "ml.c5.xlarge", 1, 10, 700.0)]
    html_path, json_path = render_report(
        content(CONF, results, NO_REC, {}), run_id="r1", results_dir=tmp_path
    )
    doc = parse(html_path)
    status = doc.one(id="status")
    assert status.attrs["data-status"] == "none"
    assert "No configuration met the requirements" in status.text()
    cells = {
        td.attrs["data-key"]: td.text()
        for td in doc.one("table", id="recommendation-table").all("td")
        if "data-key" in td.attrs
    }
    assert set(cells.values()) == {"—"}
    assert doc.all("svg", id="cost-chart") == []
    assert doc.one(id="cost-chart-empty").text().startswith("No per-type costs")
    assert len([n for n in doc.one("svg", id="latency-chart").all() if "fail" in n.classes()]) == 2
    data = json.loads(json_path.read_text())
    assert data["status"] == "none"
    assert all(
        data["recommendation"][k] is None for k in ("instance_type", "max_instance_count", "hourly_cost_usd")
    )
    assert data["costs"]["hourly"] is None and data["costs"]["per_type"] == {}


def test_partial_result_when_no_count_was_proven(tmp_path: Path) -> None:
    rec = Recommendation("ml.m5.large", 30.0, 7, None, None, None, 900, Decimal("0.115"))
    html_path, json_path = render_report(
        content(CONF, [fixed(1, "ml.m5.large", 1, 30, 100.0)], rec, {}),
        run_id="r2",
        results_dir=tmp_path / "nested" / "run",
    )
    doc = parse(html_path)
    assert doc.one(id="status").attrs["data-status"] == "partial"
    assert "ml.m5.large" in doc.one(id="status").text()
    # hourly falls back to the recommendation's own cost.
    assert doc.one("td", data_key="cost.hourly").text() == "$0.115"
    assert json.loads(json_path.read_text())["costs"]["hourly"] == "0.115"


def test_empty_run_renders(tmp_path: Path) -> None:
    html_path, json_path = render_report(content({}, [], NO_REC, {}), run_id="r3", results_dir=tmp_path)
    doc = parse(html_path)
    assert doc.one(id="no-steps").text() == "No step ran."
    assert doc.one(id="latency-chart-empty")
    assert json.loads(json_path.read_text())["steps"] == []


def test_rerender_replaces_files(tmp_path: Path) -> None:
    render_report(content(CONF, [], NO_REC, {}), run_id="a", results_dir=tmp_path)
    render_report(content(CONF, [], REC, COSTS), run_id="b", results_dir=tmp_path)
    assert json.loads((tmp_path / "recommendation.json").read_text())["run_id"] == "b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["recommendation.json", "report.html"]


def test_pass_matrix_like_perfsizesagemaker(rendered: Any) -> None:
    doc, _, _, _ = rendered
    table = doc.one("table", id="pass-matrix")
    header, *rows = table.all("tr")
    assert [th.text() for th in header.all("th")] == ["", "10", "30", "50", "70", "100", "200"]
    grid = {tr.one("th").text(): [td.text() for td in tr.all("td")] for tr in rows}
    assert grid == {
        "ml.m5.large x1": ["PASS", "PASS", "FAIL", "", "", ""],
        "ml.c5.xlarge x1": ["PASS", "PASS", "", "PASS", "FAIL", ""],
        "ml.c5.xlarge x3": ["", "", "", "", "", "PASS"],
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5361.120000", "5361.12"),
        (Decimal("14.688"), "14.69"),
        ("0.115", "0.115"),
        ("0.850000", "0.85"),
        ("0.5", "0.50"),
        ("0.0000004", "0.0000004"),  # not zero, so never "0.00" (core.cost.money)
        (3, "3.00"),
        (None, None),
        ("", None),
        ("n/a", "n/a"),
    ],
)
def test_money_strings(value: Any, expected: str | None) -> None:
    assert money_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "—"),
        (60000, "60000"),
        (38.5, "38.5"),
        (812.349, "812.35"),
        (2.0, "2"),
        ("1.10", "1.1"),
        (True, "True"),
    ],
)
def test_numbers_for_people(value: Any, expected: str) -> None:
    assert fmt_num(value) == expected


def test_money_for_people() -> None:
    assert fmt_money("5361.12") == "$5,361.12"
    assert fmt_money("0.115") == "$0.115"
    assert fmt_money(None) == "—"


def test_the_invocations_target_is_the_recommendations_own(tmp_path: Path) -> None:
    # perfsizesagemaker computes int(4 / 3 * 60 * 0.5) in Decimal: 39 (in float it would be 40).
    from sagemaker_sizing.core.walk.targets import perfsize_target

    target = perfsize_target(4, 3)
    assert target == 39
    rec = Recommendation("ml.m5.large", 2.0, 2, 3, 1, target, 90, Decimal("0.115"))
    html_path, json_path = render_report(
        content({**CONF, "peak_tps": 4}, [], rec, {}), run_id="r4", results_dir=tmp_path
    )
    table = parse(html_path).one("table", id="recommendation-table")
    assert "int(4 / 3 * 60 * 0.5) = 39" in table.text()
    assert "= 40" not in table.text()
    data = json.loads(json_path.read_text())["recommendation"]
    assert data["invocations_target_formula"].endswith("= 39") and data["invocations_target"] == 39


def test_the_line_under_the_headline_says_what_the_sizing_took(tmp_path: Path) -> None:
    results = sample_run(tmp_path)
    took = {"wall_clock_hours": 1.13, "load_minutes": 58.0, "deploys": 5,
            "actions": {"created": 4, "resized": 1, "reused": 12}, "instance_hours": 11.2,
            "bill_usd": "1.45"}  # fmt: skip
    made = content(CONF, results, REC, COSTS)
    html_path, json_path = render_report(
        ReportContent(**{**made.__dict__, "took": took}), run_id="r", results_dir=tmp_path
    )
    line = parse(html_path).one("p", id="sizing-took").text()
    assert line == (
        "The sizing took 1.1 h from the first deploy to the last delete: 58 load minutes, 5 deploys, "
        "$1.45 for its own endpoints (every instance from its launch to its deletion, at the price "
        "table's rates)."
    )
    data = json.loads(json_path.read_text())
    assert data["sizing"]["bill_usd"] == "1.45" and data["sizing"]["line"] == line
    # Nothing deployed (preflight refused the run, say): no line, and null in the JSON.
    html_path, json_path = render_report(made, run_id="r", results_dir=tmp_path)
    assert "sizing-took" not in html_path.read_text()
    assert json.loads(json_path.read_text())["sizing"] is None
