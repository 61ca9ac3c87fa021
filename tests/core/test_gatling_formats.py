"""Every text layout Gatling wrote (2.0 - 3.12) gives the same metrics; bad files are clear errors."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pytest
from sagemaker_sizing.core.gatling import GatlingLogError, parse_log, parse_logs

if TYPE_CHECKING:
    from pathlib import Path

T0 = 1700000000000


class Req(NamedTuple):
    name: str
    start: int
    end: int
    ok: bool
    group: str = ""


def request_line(version: str, user: int, r: Req) -> str:
    """A REQUEST line as the given Gatling version's writer formats it (see layouts.py)."""
    status, msg = ("OK", " ") if r.ok else ("KO", "status.find.is(200), but actually found 503")
    if version.startswith(("2.0", "2.1")):
        times = f"{r.start}\t{r.start}\t{r.end}\t{r.end}"
        return f"Scn\t{user}\tREQUEST\t{r.group}\t{r.name}\t{times}\t{status}\t{msg}\n"
    if version.startswith("2."):
        return f"REQUEST\tScn\t{user}\t{r.group}\t{r.name}\t{r.start}\t{r.end}\t{status}\t{msg}\n"
    if version in ("3.0.0", "3.2.0", "3.3.1"):
        return f"REQUEST\t{user}\t{r.group}\t{r.name}\t{r.start}\t{r.end}\t{status}\t{msg}\n"
    return f"REQUEST\t{r.group}\t{r.name}\t{r.start}\t{r.end}\t{status}\t{msg}\n"


def run_line(version: str) -> str:
    if version.startswith(("2.0", "2.1")):
        return f"my.Simulation\tmysimulation\tRUN\t{T0}\t \t2.0\n"
    if version.startswith("2."):
        return f"RUN\tmy.Simulation\t\tmysimulation\t{T0}\t \t2.0\n"
    return f"RUN\tmy.Simulation\tmysimulation\t{T0}\t \t{version}\n"


def user_line(version: str, user: int, event: str, t: int) -> str:
    if version.startswith(("2.0", "2.1")):
        return f"Scn\t{user}\tUSER\t{event}\t{t}\t{t}\n"
    if version.startswith("2.") or version in ("3.0.0", "3.2.0", "3.3.1"):
        return f"USER\tScn\t{user}\t{event}\t{t}\t{t}\n"
    return f"USER\tScn\t{event}\t{t}\n"


def write_log(path: Path, version: str, requests: list[Req], first_user: int = 1) -> Path:
    with path.open("w") as out:
        out.write(run_line(version))
        for user, r in enumerate(requests, start=first_user):
            out.write(user_line(version, user, "START", r.start))
            out.write(request_line(version, user, r))
            out.write(user_line(version, user, "END", r.end))
    return path


def make_requests(n: int = 2000, tps: float = 100.0, fail: float = 0.03, seed: int = 1) -> list[Req]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = T0 + int(i * 1000 / tps)
        name = ("predict", "explain")[i % 3 == 0]
        out.append(Req(name, start, start + rng.randint(5, 400), rng.random() >= fail))
    return out


def expected(requests: list[Req]) -> dict[str, float]:
    lat = np.array([r.end - r.start for r in requests if r.ok])
    out: dict[str, float] = {f"latency_success_p{p}": float(np.percentile(lat, p)) for p in (25, 50, 99)}
    out["count_fail"] = sum(not r.ok for r in requests)
    return out


VERSIONS = ["2.0", "2.2.5", "3.0.0", "3.2.0", "3.3.1", "3.4.2", "3.9.5", "3.10.3", "3.11.5"]


@pytest.mark.parametrize("version", VERSIONS)
def test_each_layout_gives_the_same_metrics(tmp_path: Path, version: str) -> None:
    requests = make_requests()
    result = parse_log(write_log(tmp_path / "simulation.log", version, requests))
    a = result["all"]
    for key, value in expected(requests).items():
        assert a[key] == pytest.approx(value), key
    assert a["count_total"] == 2000
    assert a["achieved_tps"] == pytest.approx(100.0)  # 2000 starts, 10 ms apart
    assert set(result["by_request"]) == {"predict", "explain"}
    assert result["by_request"]["explain"]["count_total"] == 667


@pytest.mark.parametrize("version", ["2.2.5", "3.2.0", "3.10.3"])
def test_overloaded_step_full_of_errors(tmp_path: Path, version: str) -> None:
    """Mostly KO lines take the general vectorised path: same numbers."""
    requests = make_requests(n=5000, fail=0.6)
    a = parse_log(write_log(tmp_path / "simulation.log", version, requests))["all"]
    for key, value in expected(requests).items():
        assert a[key] == pytest.approx(value), key
    assert a["percent_fail"] == pytest.approx(100.0 * a["count_fail"] / 5000)


def test_groups_become_part_of_the_key(tmp_path: Path) -> None:
    requests = [Req("predict", T0 + i * 10, T0 + i * 10 + 20, True, "warm,phase 1") for i in range(50)]
    requests += [Req("predict", T0 + 600 + i * 10, T0 + 620 + i * 10, True) for i in range(50)]
    result = parse_log(write_log(tmp_path / "s.log", "3.10.3", requests))
    assert set(result["by_request"]) == {"warm / phase 1 / predict", "predict"}


def test_ten_seconds_at_100_tps_gives_100(tmp_path: Path) -> None:
    requests = [Req("p", T0 + i * 10, T0 + i * 10 + 30, True) for i in range(1000)]
    a = parse_log(write_log(tmp_path / "s.log", "3.2.0", requests), target_tps=100)["all"]
    assert a["achieved_tps"] == pytest.approx(100.0)
    assert a["duration_s"] == pytest.approx(9.99)
    assert a["tps_ratio"] == pytest.approx(1.0)


def test_a_lagging_injector_is_reported(tmp_path: Path) -> None:
    requests = [Req("p", T0 + i * 20, T0 + i * 20 + 30, True) for i in range(500)]  # 50 TPS
    result = parse_log(write_log(tmp_path / "s.log", "3.2.0", requests), target_tps=100)
    assert result["all"]["tps_ratio"] == pytest.approx(0.5, abs=0.01)
    assert any("fell behind" in w for w in result["warnings"])


def test_no_success_means_no_latency(tmp_path: Path) -> None:
    requests = [Req("p", T0 + i * 10, T0 + i * 10 + 30, False) for i in range(20)]
    a = parse_log(write_log(tmp_path / "s.log", "3.2.0", requests))["all"]
    assert a["count_success"] == 0 and a["percent_fail"] == 100.0
    assert a["latency_success_p99"] is None and a["latency_success_min"] is None


def test_truncated_last_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = write_log(tmp_path / "s.log", "3.2.0", make_requests(n=100, fail=0))
    path.write_bytes(path.read_bytes() + b"REQUEST\t101\t\tpredict\t17000000")
    result = parse_log(path)
    assert result["all"]["count_total"] == 100
    assert result["files"][0]["truncated_last_line"] is True
    assert result["warnings"] and f"{path}:302: truncated last line" in result["warnings"][0]


def test_merged_logs_may_start_in_any_order(tmp_path: Path) -> None:
    late = [Req("p", T0 + 5000 + i * 10, T0 + 5020 + i * 10, True) for i in range(100)]
    early = [Req("p", T0 + i * 10, T0 + 20 + i * 10, True) for i in range(100)]
    result = parse_logs(
        [write_log(tmp_path / "a.log", "3.2.0", late), write_log(tmp_path / "b.log", "3.2.0", early)]
    )
    rows = result["per_second"]
    assert rows[0]["t"] == T0 // 1000 and sum(r["requests"] for r in rows) == 200
    assert rows[0]["requests"] == 100 and rows[5]["requests"] == 100


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", None, "empty file"),
        (b"\x00\x01\x02binary\xff" * 50, 1, "not a text Gatling simulation.log"),
        (b"timestamp,latency\n1,2\n", 1, "not a text Gatling simulation.log"),
        (
            b"RUN\tS\ts\t1700000000000\t \t3.2.0\nREQUEST\t1\t\tp\t17000000000x0\t1700000000010\tOK\t \n",
            2,
            "number",
        ),
        (
            b"RUN\tS\ts\t1700000000000\t \t3.2.0\nREQUEST\t1\t\tp\t1700000000000\t1700000000010\tOK\n",
            2,
            "fields",
        ),
        (
            b"RUN\tS\ts\t1700000000000\t \t3.2.0\nREQUEST\t1\t\tp\t1700000000000\t1700000000010\tOK\t \n"
            b"REQUEST\t2\t\tp\t1700000000000\t1700000000010\tMAYBE\t \n",
            3,
            "status",
        ),
        (
            b"RUN\tS\ts\t1700000000000\t \t3.2.0\nREQUEST\t1\t\tp\t1700000000000\t1700000000010\tOK\t \n"
            b"\x89PNG garbage\n",
            3,
            "record type",
        ),
        (b"RUN\tS\ts\t1700000000000\t \t3.2.0\nUSER\tS\t1\tSTART\t1\t1\n", None, "no REQUEST"),
    ],
    ids=["empty", "binary", "csv", "bad-number", "few-fields", "bad-status", "garbage-line", "no-request"],
)
def test_bad_files_name_file_and_line(tmp_path: Path, content: bytes, line: int | None, words: str) -> None:
    path = tmp_path / "simulation.log"
    path.write_bytes(content)
    with pytest.raises(GatlingLogError) as caught:
        parse_log(path)
    message = str(caught.value)
    assert str(path) in message and words in message
    assert caught.value.line == line
    if line is not None:
        assert f"{path}:{line}:" in message


def test_gatling_error_is_a_value_error() -> None:
    assert issubclass(GatlingLogError, ValueError)


def test_huge_user_ids_and_windows_line_ends(tmp_path: Path) -> None:
    requests = make_requests(n=3000)
    path = write_log(tmp_path / "s.log", "3.2.0", requests, first_user=9_000_000_000_000_000_000)
    a = parse_log(path)["all"]
    for key, value in expected(requests).items():
        assert a[key] == pytest.approx(value), key
    crlf = tmp_path / "crlf.log"
    crlf.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert parse_log(crlf)["all"] == a


def test_many_request_names(tmp_path: Path) -> None:
    requests = [Req(f"model-{i % 37}", T0 + i * 5, T0 + i * 5 + 10 + i % 37, True) for i in range(3000)]
    result = parse_log(write_log(tmp_path / "s.log", "3.10.3", requests))
    assert len(result["by_request"]) == 37
    assert result["by_request"]["model-36"]["latency_success_min"] == 46
    assert sum(m["count_total"] for m in result["by_request"].values()) == 3000


def test_a_wild_timestamp_is_an_error_not_a_huge_series(tmp_path: Path) -> None:
    requests = make_requests(n=10)
    far = 400 * 86400 * 1000
    for wild in (T0 + far, T0 - far):
        path = write_log(tmp_path / "s.log", "3.2.0", [*requests, Req("predict", wild, wild + 5, True)])
        with pytest.raises(GatlingLogError, match="span"):
            parse_log(path)
