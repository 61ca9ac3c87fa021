"""The sizing conf, described once: ``SizingConf``'s fields give the DAG's Params schema
(``core.conf.schema``), the validation (each field's pydantic type, ``core.conf.field_types``),
docs/conf-reference.md and the typed object the tasks use.

Names and defaults follow perfsizesagemaker's command line (perfsizesagemaker/main.py), so its
users' parameters work unchanged. ``load_conf`` turns the run's params (a JSON object) into a
frozen ``SizingConf`` or a ``ConfError`` listing every problem at once, each naming the field, the
value and what was expected; ``core.conf.validation.validate_conf`` adds what the walk needs.
Between tasks a validated conf crosses XCom as ``conf_to_dict`` and comes back by ``conf_from_dict``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_type_hints

from annotated_types import Ge, Gt, Le
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from sagemaker_sizing.core.conf.checks import check_across_fields, check_prices, check_serverless
from sagemaker_sizing.core.conf.choices import Hosting, JarKind, LlmApi, OnQuota, Strategy, Workload
from sagemaker_sizing.core.conf.field_types import (
    Counts,
    EndpointKinds,
    ExistingFile,
    Flag,
    InstanceTypes,
    Integer,
    MemorySizes,
    ModelEntries,
    ModelEntry,
    Name,
    Number,
    ScenarioRequest,
    ScenarioRequests,
    Text,
    TpsValues,
)
from sagemaker_sizing.core.conf.problems import ConfError, Problem, field_problems, unknown_fields
from sagemaker_sizing.core.cost.serverless import ServerlessPrices

__all__ = [
    "FIELD_TYPES",
    "ConfError",
    "Problem",
    "ScenarioRequest",
    "SizingConf",
    "conf_from_dict",
    "conf_to_dict",
    "load_conf",
    "resolved_jar_kind",
]

# `validate` warns when a conf's worst-case load-test cost is above this (or above its budget).
WARN_TEST_COST_USD = 100
RESULTS_DIR_DEFAULT = "perfsize-results-dir"  # the deployment's results_dir setting stands for it
# perfsizesagemaker options that do nothing here: accepted (its confs still validate), with a warning.
NO_LONGER_USED = {"logging_config": "Airflow configures the task logs ([logging] in airflow.cfg)"}
# workload llm without count_walk: the most instances worth deploying for the peak.
LLM_DEFAULT_MAX_COUNT = 16
# The default of a field one workload needs and the other leaves empty: "not given", which
# load_conf leaves to core.conf.checks.check_workload (Any: the attribute keeps its type).
NOT_GIVEN: Any = None


class SizingConf(BaseModel):
    """A validated sizing conf. Constraints sit in the types; ``Field`` holds defaults and meanings."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    # perfsizesagemaker's options, same names, same defaults.
    iam_role_arn: Text | None = Field(
        None, description="role to assume to get credentials, otherwise from environment"
    )
    host: Text | None = Field(
        None, description="SageMaker runtime host; null: runtime.sagemaker.<region>.amazonaws.com"
    )
    region: Text = Field(description="region name for boto3 and cost lookup", examples=["us-west-2"])
    endpoint_name: Name = Field(
        description="name of SageMaker Endpoint (the base of each lane's endpoint name: the run's hash "
        "and the lane are appended, the base shortened to fit 63 characters)",
        examples=["my-model-sizing"],
    )
    endpoint_config_name: Name = Field(
        description="name of SageMaker EndpointConfig (the base of each endpoint config's name: the "
        "run's hash, the lane and the deployment are appended, the base shortened to fit 63 characters)",
        examples=["my-model-sizing-config"],
    )
    variant_name: Name = Field("variant-name-1", description="name of SageMaker Endpoint Variant")
    model_name: Name = Field(
        description="name of SageMaker Model (must already exist)", examples=["my-model"]
    )
    workload: Workload = Field(
        "tps",
        description="what the endpoint serves: tps (requests with one p99 latency, load by Gatling) or "
        "llm (a streaming LLM, OpenAI-compatible as LMI/vLLM/TGI serve it, judged on TTFT, ITL and "
        "end-to-end p99, load by AIPerf: see docs/llm.md)",
    )
    # Required for workload tps, not used for llm (empty there once validated).
    scenario_requests: ScenarioRequests = Field(
        NOT_GIVEN,
        description='tps (required): JSON array (or its string) of request files and weights: [{"path": '
        '..., "weight": 100}]; paths relative to the conf file, weights non-negative and summing to 100; '
        "each file is read by validate: non-empty, and valid JSON (requests are sent as application/json)",
        examples=['[{"path": "payload.json", "weight": 100}]'],
    )
    peak_tps: Annotated[Number, Gt(0)] = Field(
        NOT_GIVEN,
        description="tps (required): required highest TPS (llm: give peak_rps instead)",
        examples=[60],
    )
    latency_success_p99: Annotated[Number, Gt(0)] = Field(
        description="allowed p99 latency (ms) of successful requests (llm: end to end, first byte sent to "
        "last token received)",
        examples=[500],
    )
    percent_fail: Annotated[Number, Ge(0), Le(100)] = Field(
        description="allowed failure percentage", examples=[1]
    )
    type_walk: InstanceTypes = Field(
        description="comma separated instance types to test (llm: GPU or accelerator types such as "
        "ml.g5.xlarge, ml.g6e.xlarge, ml.inf2.xlarge)",
        examples=["ml.m5.large,ml.m5.xlarge"],
    )
    count_walk: Counts = Field(
        NOT_GIVEN,
        description="tps (required): comma separated counts to test; llm (optional): its largest count "
        f"is the most instances worth deploying for the peak (default {LLM_DEFAULT_MAX_COUNT})",
        examples=["1"],
    )
    tps_walk: TpsValues = Field(
        NOT_GIVEN,
        description="tps (required): comma separated TPS values to test",
        examples=["10,20,30,40,50"],
    )
    duration_minutes: Annotated[Number, Gt(0)] = Field(3, description="duration in minutes for type tests")
    endurance_ramp_start_tps: Annotated[Number, Ge(0)] = Field(
        0, description="TPS at start of endurance test ramp"
    )
    endurance_ramp_minutes: Annotated[Number, Ge(0)] = Field(
        0, description="duration in minutes for endurance test ramp"
    )
    endurance_steady_state_minutes: Annotated[Number, Ge(0)] = Field(
        30,
        description="duration in minutes for endurance steady state (0 skips the endurance and "
        "autoscaling phases)",
    )
    endurance_retries: Annotated[Integer, Ge(0)] = Field(
        3, description="number of times to retry endurance test"
    )
    perfsize_results_dir: Text = Field(
        RESULTS_DIR_DEFAULT,
        description="directory or object-store URL (s3://bucket/prefix) for saving test results; "
        "the default: the deployment's results_dir setting",
    )
    cost_file: ExistingFile | None = Field(
        None,
        description="path to file mapping instance type to hourly rate; null: the region's table in "
        "resources/cost",
    )
    jar_file: ExistingFile | None = Field(
        None, description="path to a sagemaker-gatling jar; null: the project's own jar"
    )
    jar_kind: JarKind = Field(
        "auto",
        description="what jar_file is: auto (read from the jar: main class, GenericSageMakerScenario, "
        "Gatling version), project (the project's own jar: host as a URL, credentials from its "
        "environment) or sagemaker-gatling (intuit's: https + bare host, credentials from its auth.* "
        "config keys)",
    )
    # New options.
    strategy: Strategy = Field(
        "adaptive",
        description="walk strategy: adaptive (parallel types, bisection, cheapest type) or perfsize "
        "(step for step what perfsizesagemaker does; tps only)",
    )
    precision: Annotated[Number, Gt(0), Le(1)] = Field(
        0.05,
        description="adaptive: stop bisecting a type's TPS per instance when (fail - pass) / pass <= "
        "precision",
    )
    max_test_cost_usd: Annotated[Number, Ge(0)] | None = Field(
        None,
        description="budget for load tests (USD): a round whose estimated cost (instances x minutes x "
        "price) would take the spend past it is not started, and the report says so; validate warns "
        f"when the worst-case test cost is above it (above ${WARN_TEST_COST_USD} when null)",
    )
    safety_factor: Annotated[Number, Gt(0), Le(1)] = Field(
        0.5,
        description="AWS formula autoscaling target = int(max_rps_per_instance * 60 * safety_factor)",
    )
    max_parallel_endpoints: Annotated[Integer, Ge(1)] = Field(
        4,
        description="adaptive: endpoints tested side by side in the autoscaling search (type lanes "
        "always run one per type)",
    )
    # Serverless Inference (issue 17): sized beside (or instead of) the real-time endpoint.
    endpoint_kinds: EndpointKinds = Field(
        ("realtime",),
        description="comma separated endpoint kinds to size: realtime (instance-backed), serverless, "
        "or both (the report then compares their monthly cost)",
    )
    serverless_memory_walk: MemorySizes = Field(
        (1024, 2048, 3072, 4096, 5120, 6144),
        description="serverless: comma separated memory sizes (MB) to test, multiples of 1024 from "
        "1024 to 6144; the smallest that meets the SLOs at peak TPS wins",
    )
    serverless_max_concurrency: Annotated[Integer, Ge(1), Le(200)] = Field(
        20, description="serverless: highest MaxConcurrency the walk may choose (SageMaker allows 1-200)"
    )
    serverless_provisioned_concurrency: Annotated[Integer, Ge(1), Le(200)] | None = Field(
        None,
        description="serverless: ProvisionedConcurrency kept warm (at most serverless_max_concurrency); "
        "null: none, every container may cold-start",
    )
    serverless_idle_minutes: Annotated[Number, Ge(0)] = Field(
        10,
        description="serverless: minutes the endpoint idles before the cold-start step (0 skips that step)",
    )
    average_tps: Annotated[Number, Ge(0)] | None = Field(
        None,
        description="average TPS over the month, for the monthly cost of each endpoint kind; null: peak_tps",
    )
    live_prices: Flag = Field(
        False,
        description="prices from the AWS Price List API (pricing:GetProducts), cached per day under "
        "the results root; the bundled table (or cost_file) where it has none or cannot be reached",
    )
    # LLM endpoints (issue 24, workload llm; docs/llm.md). The walk is adaptive's, on request rate.
    peak_rps: Annotated[Number, Gt(0)] | None = Field(
        None,
        description="llm (required): the peak in requests per second the endpoint must carry (the walk "
        "sizes for it as tps sizes for peak_tps; the report also shows it as output tokens per second)",
    )
    ttft_p99_ms: Annotated[Number, Gt(0)] | None = Field(
        None, description="llm (required): allowed p99 time to first token (ms) of successful requests"
    )
    itl_p99_ms: Annotated[Number, Gt(0)] | None = Field(
        None,
        description="llm (required): allowed p99 inter-token latency (ms; each request's mean gap "
        "between output tokens, its p99 over the step's successful requests)",
    )
    llm_api: LlmApi = Field(
        "chat",
        description="llm: the container's OpenAI-compatible API: chat (chat/completions, messages) or "
        "completions (completions, a prompt)",
    )
    llm_model_id: Text | None = Field(
        None, description="llm: the model field of each request; null: model_name"
    )
    llm_prompts_file: ExistingFile | None = Field(
        None,
        description="llm: a JSONL file of prompts, one JSON object per line (docs/llm.md; relative to the "
        "conf file); null: synthetic prompts of llm_input_tokens_mean tokens",
    )
    llm_input_tokens_mean: Annotated[Integer, Ge(1)] = Field(
        512, description="llm, synthetic prompts: mean input tokens per request"
    )
    llm_input_tokens_stddev: Annotated[Number, Ge(0)] = Field(
        0, description="llm, synthetic prompts: standard deviation of the input tokens"
    )
    llm_output_tokens_mean: Annotated[Integer, Ge(1)] = Field(
        256,
        description="llm: mean output tokens asked of each request (max tokens); what the peak is worth "
        "in output tokens per second",
    )
    llm_output_tokens_stddev: Annotated[Number, Ge(0)] = Field(
        0, description="llm: standard deviation of the output tokens asked"
    )
    llm_start_rps: Annotated[Number, Gt(0)] = Field(
        1,
        description="llm: the request rate each type's first step sends to one instance (the walk grows it "
        "on a pass and shrinks it on a failure; LLM instances hold ~0.5 to 50 requests/s)",
    )
    # Inference components (issue 25, workload llm; docs/inference-components.md).
    hosting: Hosting = Field(
        "endpoint",
        description="llm: how the model is hosted: endpoint (the model on the endpoint's variant, sized in "
        "instances) or inference_components (the endpoint owns instances with managed instance scaling; "
        "each model is a component sized in copies, with its compute per copy)",
    )
    copy_memory_mb: Annotated[Integer, Ge(1)] | None = Field(
        None,
        description="inference_components (required unless every model of models gives it): the memory "
        "(MiB) one copy of the model reserves (MinMemoryRequiredInMb)",
    )
    copy_accelerators: Annotated[Number, Gt(0)] | None = Field(
        None,
        description="inference_components: the accelerators (GPUs, or Inferentia NeuronCores) one copy "
        "needs (NumberOfAcceleratorDevicesRequired); null: none named",
    )
    copy_cpu_cores: Annotated[Number, Gt(0)] | None = Field(
        None,
        description="inference_components: the CPU cores one copy needs (NumberOfCpuCoresRequired, "
        "counted against vCPUs); null: none named",
    )
    models: ModelEntries = Field(
        (),
        description="inference_components: several models on one endpoint, a JSON array of objects with "
        "model_name, peak_rps and optionally copy_memory_mb, copy_accelerators, copy_cpu_cores, "
        "ttft_p99_ms, itl_p99_ms, latency_success_p99, percent_fail, llm_model_id, "
        "llm_input_tokens_mean, llm_output_tokens_mean, llm_prompts_file (the top-level fields are the "
        "defaults); empty: "
        "the one model of the top-level fields",
    )
    on_quota: OnQuota = Field(
        "stop",
        description="what a service quota that cannot hold a type's deployment does: stop (before "
        "deploying, when preflight finds it; mid-run, the walk ends there) or skip (that type is "
        "dropped from the walk, and the report says why)",
    )
    # Derived by validation (core.conf.checks), not given: each type's hourly price (from the
    # region's table or cost_file) and the region's serverless prices.
    prices: tuple[tuple[str, Decimal], ...] = Field((), exclude=True, repr=False)
    serverless_prices: ServerlessPrices | None = Field(None, exclude=True, repr=False)

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
    def is_llm(self) -> bool:
        """An LLM endpoint (workload llm): its rates are requests per second, its load AIPerf's."""
        return self.workload == "llm"

    @property
    def rate_unit(self) -> str:
        """How a step's rate reads: TPS, or requests per second for an LLM."""
        return "req/s" if self.is_llm else "TPS"

    @property
    def llm_model(self) -> str:
        """The ``model`` field of each LLM request."""
        return self.llm_model_id or self.model_name

    @property
    def peak_output_tokens_per_s(self) -> float | None:
        """The LLM peak in output tokens per second (peak_rps x output tokens mean); None for tps."""
        if self.is_llm and self.models:  # each model's peak at its own output tokens
            out = self.llm_output_tokens_mean
            return sum(m.peak_rps * (m.llm_output_tokens_mean or out) for m in self.models)
        return self.peak_tps * self.llm_output_tokens_mean if self.is_llm else None

    @property
    def hosts_components(self) -> bool:
        """An endpoint of inference components (issue 25): sized in copies per model."""
        return self.hosting == "inference_components"

    @property
    def runtime_host(self) -> str:
        return self.host or f"runtime.sagemaker.{self.region}.amazonaws.com"

    def scenario_requests_json(self) -> str:
        """The ``scenario.requests`` system property of the Gatling jar."""
        return json.dumps([{"path": r.path, "weight": r.weight} for r in self.scenario_requests])

    def request_bytes(self) -> float:
        """Weighted mean size of the scenario's request bodies (what each request sends)."""
        total = sum(r.weight for r in self.scenario_requests) or 1.0
        return sum(Path(r.path).stat().st_size * r.weight for r in self.scenario_requests) / total


_HINTS = get_type_hints(SizingConf, include_extras=True)
# The fields a conf gives (in the order of the Params form and the reference), and their types.
FIELD_TYPES: dict[str, Any] = {
    name: _HINTS[name] for name, info in SizingConf.model_fields.items() if not info.exclude
}


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    """The field's validator (built on first use: nothing happens at import)."""
    return TypeAdapter(FIELD_TYPES[name])


def conf_to_dict(conf: SizingConf) -> dict[str, Any]:
    """JSON-safe dict of every field (for XCom); ``load_conf`` of it gives the same conf back."""
    data = conf.model_dump(mode="json")
    for name in ("scenario_requests", "tps_walk", "count_walk"):
        if data[name] == []:  # an llm conf's: not given (null, as the form sends it)
            data[name] = None
    return data


def conf_from_dict(data: Mapping[str, Any]) -> SizingConf:
    """The SizingConf whose ``conf_to_dict`` is ``data`` (a validated conf crossing XCom), rebuilt
    without validating it again: no payload or jar is read and no walk bound computed; only the
    values ``load_conf`` derives (the prices) are derived again, the same way."""
    values: dict[str, Any] = {}
    for name in FIELD_TYPES:
        value = data.get(name, SizingConf.model_fields[name].default)
        values[name] = tuple(value) if isinstance(value, list) else value
    values["scenario_requests"] = tuple(
        ScenarioRequest(r["path"], r["weight"]) for r in values["scenario_requests"] or ()
    )
    for name in ("tps_walk", "count_walk"):  # an llm conf's: none given
        values[name] = values[name] or ()
    values["models"] = tuple(
        m if isinstance(m, ModelEntry) else ModelEntry(**m) for m in values["models"] or ()
    )
    problems: list[Problem] = []
    check_prices(values, problems)
    check_serverless(values, problems)
    if problems:  # not a conf validate_conf returned
        raise ConfError(problems)
    return SizingConf.model_construct(**values)


def load_conf(
    params: Mapping[str, Any],
    *,
    base_dir: Path | None = None,
    ignore_unknown: bool = False,
) -> SizingConf:
    """Validate the run's ``params`` into a SizingConf or raise ConfError listing every problem.

    ``base_dir`` resolves relative paths (the conf file's folder; default the working directory);
    ``ignore_unknown`` lets a caller pass a mapping holding other keys too. Each field is validated
    on its own, so the checks across fields run on those that are valid and every problem comes
    back at once. The walk's own checks are ``core.conf.validation.validate_conf``'s.
    """
    if not isinstance(params, Mapping):
        raise ConfError([Problem("conf", params, "a JSON object of conf fields")])
    problems = [] if ignore_unknown else unknown_fields(params, [*FIELD_TYPES, *NO_LONGER_USED])
    context = {"base": (base_dir or Path.cwd()).resolve()}
    parsed: dict[str, Any] = {}
    for name, annotation in FIELD_TYPES.items():
        info = SizingConf.model_fields[name]
        if name not in params and info.is_required():
            problems.append(Problem(name, None, f"a value ({info.description})"))
            continue
        value = params.get(name, info.default)
        if value is None and info.default is None:
            parsed[name] = None  # not given: check_workload says whether the workload needs it
            continue
        try:
            parsed[name] = _adapter(name).validate_python(value, context=context)
        except ValidationError as exc:
            problems.extend(field_problems(name, annotation, value, exc))
    check_across_fields(parsed, params, problems)
    if problems:
        raise ConfError(problems)
    return SizingConf.model_construct(**parsed)


def resolved_jar_kind(conf: SizingConf) -> str:
    """``project`` or ``sagemaker-gatling``: the kind of the jar the load steps run."""
    from sagemaker_sizing.core.gatling.jar_kind import PROJECT, jar_kind

    return jar_kind(conf.jar_file, conf.jar_kind) if conf.jar_file else PROJECT
