"""A sizing conf: validated all at once into a frozen ``SizingConf``.

``load_conf`` checks every field with its pydantic type (``core.conf.field_types``, built from the
``conf_fields.FIELDS`` table; payload files included: read, non-empty, valid JSON); the checks
that need the walk (its worst case fits the DAG's round slots, the budget pays its first round)
sit next to the walk, and ``core.conf.validation.validate_conf`` runs both for ``sagemaker-sizing
validate``, the demo and the DAG's validate task, so nothing is deployed for a conf the command
line would reject. Every problem names the field, the value and what was expected, and all
problems come back together. Later tasks rebuild the validated conf with ``conf_from_dict``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sagemaker_sizing.core.conf import field_types
from sagemaker_sizing.core.conf.field_types import ScenarioRequest
from sagemaker_sizing.core.conf.fields import FIELD_NAMES, FIELDS, defaults, params_schema
from sagemaker_sizing.core.conf.problems import ConfError, Problem
from sagemaker_sizing.core.conf.serverless import check_serverless
from sagemaker_sizing.core.cost.instances import CostTableError, load_cost_table
from sagemaker_sizing.core.cost.serverless import ServerlessPrices  # noqa: TC001 (a dataclass field type)
from sagemaker_sizing.core.serde import to_jsonable

__all__ = [
    "FIELDS",
    "ConfError",
    "Problem",
    "ScenarioRequest",
    "SizingConf",
    "conf_from_dict",
    "conf_to_dict",
    "load_conf",
    "params_schema",
]


@dataclass(frozen=True)
class SizingConf:
    region: str
    endpoint_name: str
    endpoint_config_name: str
    model_name: str
    scenario_requests: tuple[ScenarioRequest, ...]
    peak_tps: float
    latency_success_p99: float
    percent_fail: float
    type_walk: tuple[str, ...]
    count_walk: tuple[int, ...]
    tps_walk: tuple[float, ...]
    iam_role_arn: str | None = None
    host: str | None = None
    variant_name: str = "variant-name-1"
    duration_minutes: float = 3
    endurance_ramp_start_tps: float = 0
    endurance_ramp_minutes: float = 0
    endurance_steady_state_minutes: float = 30
    endurance_retries: int = 3
    perfsize_results_dir: str = "perfsize-results-dir"
    cost_file: str | None = None
    jar_file: str | None = None
    jar_kind: str = "auto"
    logging_config: str | None = None
    strategy: str = "adaptive"
    precision: float = 0.05
    max_test_cost_usd: float | None = None
    safety_factor: float = 0.5
    max_parallel_endpoints: int = 4
    # Serverless Inference (issue 17; core.conf.serverless).
    endpoint_kinds: tuple[str, ...] = ("realtime",)
    serverless_memory_walk: tuple[int, ...] = (1024, 2048, 3072, 4096, 5120, 6144)
    serverless_max_concurrency: int = 20
    serverless_provisioned_concurrency: int | None = None
    serverless_idle_minutes: float = 10
    average_tps: float | None = None
    serverless_prices: ServerlessPrices | None = field(default=None, repr=False)
    live_prices: bool = False
    on_quota: str = "stop"
    # Hourly price of each type of type_walk, from the region's table or cost_file.
    prices: tuple[tuple[str, Decimal], ...] = field(default=(), repr=False)

    def price(self, instance_type: str) -> Decimal:
        return dict(self.prices)[instance_type]

    @property
    def price_table(self) -> dict[str, Decimal]:
        return dict(self.prices)

    @property
    def sizes_realtime(self) -> bool:
        return "realtime" in self.endpoint_kinds

    @property
    def sizes_serverless(self) -> bool:
        return "serverless" in self.endpoint_kinds

    @property
    def monthly_average_tps(self) -> float:
        """The traffic the monthly costs assume: ``average_tps``, else the peak all month."""
        return self.peak_tps if self.average_tps is None else self.average_tps

    @property
    def runtime_host(self) -> str:
        return self.host or f"runtime.sagemaker.{self.region}.amazonaws.com"

    def scenario_requests_json(self) -> str:
        """The ``scenario.requests`` system property of the Gatling jar."""
        return json.dumps([{"path": r.path, "weight": r.weight} for r in self.scenario_requests])


def conf_to_dict(conf: SizingConf) -> dict[str, Any]:
    """JSON-safe dict of every field (for XCom); ``load_conf`` of it gives the same conf back."""
    return {f.name: to_jsonable(getattr(conf, f.name)) for f in FIELDS}


def conf_from_dict(data: Mapping[str, Any]) -> SizingConf:
    """The SizingConf whose ``conf_to_dict`` is ``data`` (a validated conf crossing XCom), rebuilt
    without validating it again: no payload or jar is read and no walk bound computed; only the
    values ``load_conf`` derives (the prices) are derived again, the same way."""
    values: dict[str, Any] = {}
    for f in FIELDS:
        value = data.get(f.name, f.default)
        values[f.name] = tuple(value) if isinstance(value, list) else value
    values["scenario_requests"] = tuple(
        ScenarioRequest(r["path"], r["weight"]) for r in values["scenario_requests"]
    )
    problems: list[Problem] = []
    _check_prices(values, problems)
    check_serverless(values, problems)
    if problems:  # not a conf validate_conf returned
        raise ConfError(problems)
    return SizingConf(**values)


def load_conf(
    raw: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    ignore_unknown: bool = False,
) -> SizingConf:
    """Validate ``raw``'s fields into a SizingConf or raise ConfError listing every problem.

    ``base_dir`` resolves relative paths (the conf file's folder; default the working directory);
    ``ignore_unknown`` lets a caller pass a mapping holding other keys too (Airflow params).
    The walk's own checks are ``core.conf.validation.validate_conf``'s.
    """
    if not isinstance(raw, Mapping):
        raise ConfError([Problem("conf", raw, "a JSON object of conf fields")])
    problems: list[Problem] = []
    if not ignore_unknown:
        for name in sorted(set(raw) - FIELD_NAMES):
            problems.append(
                Problem(name, raw[name], "no such field (see `sagemaker-sizing validate --help`)")
            )
    values = {**defaults(), **{k: v for k, v in raw.items() if k in FIELD_NAMES}}
    context = {"base": (base_dir or Path.cwd()).resolve()}
    parsed: dict[str, Any] = {}
    for f in FIELDS:
        if f.name not in values:
            problems.append(Problem(f.name, None, f"a value ({f.description})"))
            continue
        try:
            parsed[f.name] = field_types.adapter(f).validate_python(values[f.name], context=context)
        except ValidationError as exc:
            problems.extend(field_types.problems(f, values[f.name], exc))
    if "scenario_requests" in parsed:
        _check_weights(parsed, values["scenario_requests"], problems)
    if {"region", "cost_file", "type_walk"} <= parsed.keys():
        _check_prices(parsed, problems)
    check_serverless(parsed, problems)
    if parsed.get("jar_file") and "jar_kind" in parsed:
        _check_jar(parsed["jar_file"], parsed["jar_kind"], parsed.get("host"), problems)
    if problems:
        raise ConfError(problems)
    return SizingConf(**parsed)


def _check_weights(parsed: dict[str, Any], value: Any, problems: list[Problem]) -> None:
    total = sum(Decimal(str(request.weight)) for request in parsed["scenario_requests"])
    if total != 100:
        problems.append(
            Problem("scenario_requests", value, f"weights summing to 100 (they sum to {float(total):g})")
        )


def _check_prices(parsed: dict[str, Any], problems: list[Problem]) -> None:
    cost_file = parsed["cost_file"]
    try:
        table = load_cost_table(parsed["region"], Path(cost_file) if cost_file else None)
    except CostTableError as exc:
        name = "cost_file" if cost_file else "region"
        problems.append(Problem(name, cost_file or parsed["region"], f"a readable cost table ({exc})"))
        return
    missing = [t for t in parsed["type_walk"] if t not in table]
    for instance_type in missing:
        where = f"cost file {cost_file}" if cost_file else f"the {parsed['region']} cost table"
        problems.append(Problem("type_walk", instance_type, f"an instance type listed in {where}"))
    if not missing:
        parsed["prices"] = tuple((t, table[t]) for t in dict.fromkeys(parsed["type_walk"]))


def _check_jar(jar_file: str, kind: str, host: str | None, problems: list[Problem]) -> None:
    """The jar is one the load step can drive and whose log the parser reads."""
    from sagemaker_sizing.core.gatling.jar_kind import SAGEMAKER_GATLING, JarKindError, jar_kind

    try:
        resolved = jar_kind(jar_file, kind)
    except JarKindError as exc:
        problems.append(Problem("jar_file", jar_file, str(exc)))
        return
    if resolved == SAGEMAKER_GATLING and host and host.strip().lower().startswith("http://"):
        problems.append(
            Problem(
                "host",
                host,
                "a bare host or an https:// URL: a sagemaker-gatling jar always calls https://<host>",
            )
        )


def resolved_jar_kind(conf: SizingConf) -> str:
    """``project`` or ``sagemaker-gatling``: the kind of the jar the load steps run."""
    from sagemaker_sizing.core.gatling.jar_kind import PROJECT, jar_kind

    return jar_kind(conf.jar_file, conf.jar_kind) if conf.jar_file else PROJECT
