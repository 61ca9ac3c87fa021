"""The checks across a conf's fields, and the values they derive (the prices).

Each runs on the fields that validated, so its problems come back with every other one; ``parsed``
is the dict of validated values ``SizingConf`` is then built from (``prices`` and
``serverless_prices`` are set here).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sagemaker_sizing.core.conf.problems import Problem
from sagemaker_sizing.core.cost.instances import SERVERLESS_PRICE_KEY, CostTableError, load_cost_table
from sagemaker_sizing.core.cost.serverless import load_serverless_prices

# What each workload needs (None: not given, a problem) and what it refuses when given.
TPS_NEEDS = ("scenario_requests", "peak_tps", "count_walk", "tps_walk")
LLM_NEEDS = ("peak_rps", "ttft_p99_ms", "itl_p99_ms")
# Given beside the other workload: a warning "not used" (core.conf.validation.workload_warnings).
TPS_UNUSED_BY_LLM = ("scenario_requests", "tps_walk", "jar_file", "jar_kind")
COMPONENT_FIELDS = ("copy_memory_mb", "copy_accelerators", "copy_cpu_cores")
LLM_UNUSED_BY_TPS = (
    "llm_api",
    "llm_model_id",
    "llm_prompts_file",
    "llm_input_tokens_mean",
    "llm_input_tokens_stddev",
    "llm_output_tokens_mean",
    "llm_output_tokens_stddev",
    "llm_start_rps",
)


def check_across_fields(parsed: dict[str, Any], params: Any, problems: list[Problem]) -> None:
    """Every check whose fields validated; ``params`` are the values as given (for the weights')."""
    check_workload(parsed, problems)
    if parsed.get("scenario_requests"):
        check_weights(parsed, params["scenario_requests"], problems)
    if {"region", "cost_file", "type_walk"} <= parsed.keys():
        check_prices(parsed, problems)
    check_serverless(parsed, problems)
    if parsed.get("jar_file") and "jar_kind" in parsed:
        check_jar(parsed["jar_file"], parsed["jar_kind"], parsed.get("host"), problems)


def check_weights(parsed: dict[str, Any], value: Any, problems: list[Problem]) -> None:
    total = sum(Decimal(str(request.weight)) for request in parsed["scenario_requests"])
    if total != 100:
        problems.append(
            Problem("scenario_requests", value, f"weights summing to 100 (they sum to {float(total):g})")
        )


def check_prices(parsed: dict[str, Any], problems: list[Problem]) -> None:
    """Every type of type_walk has a price; sets ``prices``."""
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


def check_serverless(parsed: dict[str, Any], problems: list[Problem]) -> None:
    """The serverless fields together (issue 17); sets ``serverless_prices`` when serverless is sized."""
    provisioned = parsed.get("serverless_provisioned_concurrency")
    maximum = parsed.get("serverless_max_concurrency")
    if provisioned is not None and maximum is not None and provisioned > maximum:
        problems.append(
            Problem(
                "serverless_provisioned_concurrency",
                provisioned,
                f"at most serverless_max_concurrency ({maximum})",
            )
        )
    average, peak = parsed.get("average_tps"), parsed.get("peak_tps")
    if average is not None and peak is not None and average > peak:
        problems.append(Problem("average_tps", average, f"at most peak_tps ({peak:g})"))
    if "serverless" in (parsed.get("endpoint_kinds") or ()) and "region" in parsed:
        try:
            prices = load_serverless_prices(parsed["region"])
            parsed["serverless_prices"] = prices
            if "prices" in parsed:  # the load-test budget prices serverless steps per GB-hour
                per_gb_hour = prices.compute_per_gb_second * 3600
                parsed["prices"] = (*parsed["prices"], (SERVERLESS_PRICE_KEY, per_gb_hour))
        except CostTableError as exc:
            problems.append(Problem("region", parsed["region"], f"a region with serverless prices ({exc})"))


def check_jar(jar_file: str, kind: str, host: str | None, problems: list[Problem]) -> None:
    """The jar is one the load step can drive and whose log the parser reads."""
    # Here, not at the top: core.gatling brings numpy, which only a conf with a jar_file needs.
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


def check_workload(parsed: dict[str, Any], problems: list[Problem]) -> None:
    """The fields each workload needs, and the ones it refuses (issue 24)."""
    workload = parsed.get("workload")
    if workload == "tps":
        _needed(parsed, TPS_NEEDS, "tps", problems)
        problems.extend(
            Problem(name, parsed[name], "no value for workload tps (set workload to llm to size an LLM)")
            for name in LLM_NEEDS
            if parsed.get(name) is not None
        )
    elif workload == "llm":
        if parsed.get("models"):
            total = sum(m.peak_rps for m in parsed["models"])
            if parsed.get("peak_rps") not in (None, total):  # equal: a conf_to_dict of such a conf
                problems.append(
                    Problem(
                        "peak_rps", parsed["peak_rps"], "no value with models (each model has its peak_rps)"
                    )
                )
            parsed["peak_rps"] = total
        elif "models" in parsed:  # not a list that failed its own check
            _needed(parsed, LLM_NEEDS, "llm", problems)
        check_llm(parsed, problems)
    check_components(parsed, problems)
    # Any other workload has its own problem listed already.


def _needed(parsed: dict[str, Any], names: tuple[str, ...], workload: str, problems: list[Problem]) -> None:
    """A problem for each of ``names`` not given (a field whose value was invalid has its own)."""
    from sagemaker_sizing.core.conf.model import SizingConf

    for name in names:
        if name in parsed and parsed[name] is None:
            why = SizingConf.model_fields[name].description
            problems.append(Problem(name, None, f"a value ({why}) for workload {workload}"))


def check_llm(parsed: dict[str, Any], problems: list[Problem]) -> None:
    """An LLM conf: adaptive, real-time, its prompts file readable. Its peak in requests per second
    becomes ``peak_tps``, the walk's rate, so the walk, the cost guard and the worst case run
    unchanged; the Gatling fields it does not use are left empty."""
    peak_rps, peak_tps = parsed.get("peak_rps"), parsed.get("peak_tps")
    if peak_tps is not None and peak_tps != peak_rps:  # equal: a conf_to_dict of an llm conf
        problems.append(
            Problem(
                "peak_tps",
                peak_tps,
                "no value for workload llm: its peak is peak_rps, in requests per second (to an LLM user "
                "TPS reads as tokens per second)",
            )
        )
    if parsed.get("strategy") not in (None, "adaptive"):
        problems.append(
            Problem("strategy", parsed["strategy"], "adaptive for workload llm (bisection on request rate)")
        )
    if "serverless" in (parsed.get("endpoint_kinds") or ()):
        problems.append(
            Problem(
                "endpoint_kinds",
                ",".join(parsed["endpoint_kinds"]),
                "realtime for workload llm (Serverless Inference has no GPUs and no response streaming)",
            )
        )
    if parsed.get("llm_prompts_file"):
        check_prompts(parsed["llm_prompts_file"], problems)
    if peak_rps is not None:
        parsed["peak_tps"] = peak_rps
    for name in ("scenario_requests", "tps_walk"):
        parsed[name] = ()  # not used for llm (a warning says so when given)
    if parsed.get("count_walk") is None:
        parsed["count_walk"] = ()


def check_components(parsed: dict[str, Any], problems: list[Problem]) -> None:
    """Inference components (issue 25): an llm conf's, each model with its compute per copy, SLOs and
    a name of its own, and every copy fitting one instance of at least one type of type_walk (the
    instance table, resources/instance_resources.json): refused here, before anything is deployed."""
    models = parsed.get("models") or ()
    if parsed.get("hosting") != "inference_components":
        given = [n for n in (*COMPONENT_FIELDS, "models") if parsed.get(n)]
        problems.extend(
            Problem(n, parsed[n], 'no value unless hosting is "inference_components"') for n in given
        )
        return
    if parsed.get("workload") != "llm":
        problems.append(
            Problem(
                "hosting",
                "inference_components",
                'endpoint for workload tps (components size an LLM: workload "llm")',
            )
        )
        return
    names = [m.model_name for m in models]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(Problem("models", name, "each model once (a component per model)"))
    if models and parsed.get("model_name") and parsed["model_name"] not in names:
        problems.append(
            Problem(
                "model_name",
                parsed["model_name"],
                f"one of the models ({', '.join(names)}): the endpoint config takes its execution role",
            )
        )
    entries = [(f"models[{i}].", vars(m)) for i, m in enumerate(models)] or [("", {})]
    for prefix, entry in entries:
        _check_model(parsed, prefix, entry, problems)


def _check_model(parsed: dict[str, Any], prefix: str, entry: dict[str, Any], problems: list[Problem]) -> None:
    """One model: its SLOs and memory given (here or at the top level), its copy fitting a type."""
    from sagemaker_sizing.core.components.placement import Resources, instance_resources

    def value(name: str) -> Any:
        own = entry.get(name)
        return own if own is not None else parsed.get(name)

    if entry.get("llm_prompts_file"):
        check_prompts(entry["llm_prompts_file"], problems, f"{prefix}llm_prompts_file")
    if prefix:
        for name in ("ttft_p99_ms", "itl_p99_ms"):
            if value(name) is None:
                problems.append(
                    Problem(f"{prefix}{name}", None, f"a value here or at the top level ({name})")
                )
    memory = value("copy_memory_mb")
    where = (
        f"{prefix}copy_memory_mb" if prefix and entry.get("copy_memory_mb") is not None else "copy_memory_mb"
    )
    if memory is None and "copy_memory_mb" not in parsed:
        return  # the top-level value was invalid: its own problem says so
    if memory is None:
        problems.append(
            Problem(
                f"{prefix}copy_memory_mb", None, "a value (MiB one copy reserves) for inference_components"
            )
        )
        return
    need = Resources(
        vcpus=float(value("copy_cpu_cores") or 0),
        memory_mb=float(memory),
        accelerators=float(value("copy_accelerators") or 0),
    )
    types = parsed.get("type_walk") or ()
    offered = {t: instance_resources(t) for t in types}
    unknown = [t for t, r in offered.items() if r is None]
    if unknown:
        problems.append(
            Problem(
                "type_walk",
                ",".join(unknown),
                "types the instance table knows (resources/instance_resources.json) for inference_components",
            )
        )
    known = {t: r for t, r in offered.items() if r is not None}
    if not known or any(need.fits_in(r) for r in known.values()):
        return
    model = entry.get("model_name") or parsed.get("model_name")
    largest = ", ".join(
        f"{t} has {r.accelerators:g} accelerators, {r.vcpus:g} vCPUs, {r.memory_mb:g} MiB"
        for t, r in known.items()
    )
    short = [
        (f, v)
        for f, v, have in (
            ("copy_accelerators", need.accelerators, max(r.accelerators for r in known.values())),
            ("copy_cpu_cores", need.vcpus, max(r.vcpus for r in known.values())),
            ("copy_memory_mb", need.memory_mb, max(r.memory_mb for r in known.values())),
        )
        if v > have
    ]
    field, needed = short[0] if short else ("copy_memory_mb", need.memory_mb)
    where = f"{prefix}{field}" if prefix and entry.get(field) is not None else field
    problems.append(
        Problem(
            where,
            needed,
            f"a copy of {model} that fits one instance of a type of type_walk ({largest}): no copy of it "
            "fits any candidate",
        )
    )


def check_prompts(path: str, problems: list[Problem], field: str = "llm_prompts_file") -> None:
    """A prompts file AIPerf reads (core.llm.prompts names the bad line)."""
    from pathlib import Path

    from sagemaker_sizing.core.llm.prompts import PromptsError, load_prompts

    try:
        load_prompts(Path(path))
    except PromptsError as exc:
        problems.append(Problem(field, path, f"a JSONL file of prompts ({exc})"))
