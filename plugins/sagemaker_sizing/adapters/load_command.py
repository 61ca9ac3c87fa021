"""Which load engine a step runs, and the LLM step's AIPerf command from the conf.

A conf's ``workload`` chooses: ``"tps"`` (the default) runs the Gatling jar (``gatling_command``),
``"llm"`` runs AIPerf (``aiperf_command``). ``aiperf_step`` is the one place the conf's LLM fields
are read for the load.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from sagemaker_sizing.adapters.aiperf_command import (
    PROMPTS_FILE,
    AIPerfStep,
    FileInput,
    SyntheticPrompts,
    aiperf_shell_command,
    aiperf_together,
)
from sagemaker_sizing.adapters.gatling_command import GatlingStep, gatling_shell_command
from sagemaker_sizing.core.components.models import component_models

if TYPE_CHECKING:
    from pathlib import Path

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import LoadItem

LLM = "llm"
LoadCommand = GatlingStep | AIPerfStep

# Seconds of unmeasured load before an LLM step's window (AIPerf's warm-up phase), as the Gatling
# jar's warm-up: the first requests of a fresh client otherwise read as the endpoint's TTFT.
LLM_WARM_UP_S = 3
# Open loop: Poisson arrivals at the step's rate. A ramp step's arrivals are evenly spaced instead:
# AIPerf 0.13.0.dev20261023 changes the rate every 100 ms by drawing the next arrival again and
# keeping the earlier of the two, which with Poisson draws front-loads a ramp (measured: 58 requests
# where a 0->10/s ramp over 3 s then 3 s at 10/s gives 45; with constant arrivals 58 for 60).
ARRIVAL = "poisson"
RAMP_ARRIVAL = "constant"
# A request unanswered after this many times the end-to-end SLO is a failure either way: AIPerf
# stops waiting (a TimeoutError record) instead of holding the step open (its default is 6 h).
REQUEST_TIMEOUT_SLO_FACTOR = 3
REQUEST_TIMEOUT_MIN_S = 30
REQUEST_TIMEOUT_MAX_S = 600
# Distinct synthetic prompts: one per request of the step, so a server with prefix caching (vLLM's
# is on by default) does not answer a repeated prompt from its cache and show a TTFT no user sees;
# at least AIPerf's default, and at most this many (each costs AIPerf ~10-20 ms to make at start-up:
# beyond it, prompts repeat).
DISTINCT_PROMPTS_MIN = 100
DISTINCT_PROMPTS_MAX = 1000
# AIPerf's goodput SLOs: its metric tag of each conf SLO (ms).
_GOODPUT = (
    ("ttft_p99_ms", "time_to_first_token"),
    ("itl_p99_ms", "inter_token_latency"),
    ("latency_success_p99", "request_latency"),
)


def is_llm(conf: SizingConf | Mapping[str, Any]) -> bool:
    """The conf (a SizingConf, or its dict as it crosses XCom) sizes an LLM endpoint (AIPerf,
    tokens, TTFT/ITL SLOs)."""
    if isinstance(conf, Mapping):
        return conf.get("workload") == LLM
    return getattr(conf, "workload", "tps") == LLM


def shell_command(command: LoadCommand | Sequence[AIPerfStep]) -> str:
    """The shell line that runs ``command`` with its engine; several AIPerf commands (one per model
    of an endpoint of inference components) run at once."""
    if not isinstance(command, GatlingStep | AIPerfStep):
        return aiperf_together(command)
    if isinstance(command, AIPerfStep):
        return aiperf_shell_command(command)
    return gatling_shell_command(command)


def request_timeout_s(latency_success_p99_ms: float) -> float:
    """AIPerf's per-request timeout for an end-to-end p99 SLO (see REQUEST_TIMEOUT_SLO_FACTOR)."""
    seconds = math.ceil(REQUEST_TIMEOUT_SLO_FACTOR * latency_success_p99_ms / 1000)
    return float(min(REQUEST_TIMEOUT_MAX_S, max(REQUEST_TIMEOUT_MIN_S, seconds)))


def aiperf_step(
    conf: SizingConf, item: LoadItem, step_dir: Path, url: str | None, slot: int = 0
) -> AIPerfStep:
    """The AIPerf command of an LLM load item: the step's request rate (its ``steady_state_tps``:
    for an LLM conf the walk's "TPS" is requests per second), its ramp and hold, against the
    endpoint its plan named, writing into ``step_dir`` (the step folder, AIPerf's artifact dir).

    ``url``: the runtime's address when it is not AWS's public one (the conf's ``host``, else the
    local SageMaker's); None lets AIPerf derive it from the region. ``slot``: on an endpoint of
    inference components, which of the step's loaded models (``component_aiperf_step``).
    """
    step = item.plan.step
    if step.components:
        return component_aiperf_step(conf, item, step_dir, url, slot)
    if item.injectors != 1:
        raise ValueError(f"an LLM step runs one AIPerf process, got {item.injectors} injectors")
    llm: Any = conf  # the LLM fields (llm-size's conf); read with their documented defaults
    prompts_file = getattr(llm, "llm_prompts_file", None)
    ramp_s = step.ramp_minutes * 60
    warm_up_s = 0 if ramp_s > 0 else LLM_WARM_UP_S  # a ramp: no burst at full rate first
    duration_s = ramp_s + step.steady_state_minutes * 60
    sent = math.ceil(step.steady_state_tps * (duration_s + warm_up_s))
    prompts: SyntheticPrompts | FileInput = (
        FileInput(step_dir / PROMPTS_FILE)
        if prompts_file
        else SyntheticPrompts(
            input_tokens_mean=int(getattr(llm, "llm_input_tokens_mean", 512)),
            input_tokens_stddev=float(getattr(llm, "llm_input_tokens_stddev", 0)),
            output_tokens_mean=int(getattr(llm, "llm_output_tokens_mean", 256)),
            output_tokens_stddev=float(getattr(llm, "llm_output_tokens_stddev", 0)),
            distinct=min(DISTINCT_PROMPTS_MAX, max(DISTINCT_PROMPTS_MIN, sent)),
        )
    )
    goodput = tuple(
        (tag, float(value)) for name, tag in _GOODPUT if (value := getattr(llm, name, None)) is not None
    )
    return AIPerfStep(
        endpoint=str(item.plan.endpoint_name),
        region=conf.region,
        model=getattr(llm, "llm_model_id", None) or conf.model_name,
        rate=step.steady_state_tps,
        duration_s=duration_s,
        artifact_dir=step_dir,
        prompts=prompts,
        url=runtime_url(conf.host) or url,
        api=cast("Any", getattr(llm, "llm_api", "chat")),
        arrival=RAMP_ARRIVAL if ramp_s > 0 else ARRIVAL,
        ramp_s=ramp_s,
        ramp_start_rate=step.ramp_start_tps,
        warm_up_s=warm_up_s,
        request_timeout_s=request_timeout_s(conf.latency_success_p99),
        goodput=goodput,
    )


def runtime_url(host: str | None) -> str | None:
    """A conf's ``host`` as AIPerf's ``--url`` (https unless it names its scheme); None for none."""
    if not host:
        return None
    host = host.strip().rstrip("/")
    return host if "://" in host else f"https://{host}"


def component_aiperf_step(
    conf: SizingConf, item: LoadItem, step_dir: Path, url: str | None, slot: int
) -> AIPerfStep:
    """The AIPerf command of one model of an endpoint of inference components: slot j loads the
    j-th model the step loads, at that model's rate (its share of a ramp), with its token mix and
    SLOs, addressing its component (``--sagemaker-inference-component-name``). The load task runs
    every slot's command at once (``aiperf_command.together``)."""
    step = item.plan.step
    index = step.models_loaded[slot]
    model = component_models(conf)[index]
    rate = step.rates[index]
    ramp_start = step.ramp_start_tps * rate / step.steady_state_tps if step.steady_state_tps else 0.0
    share = dataclasses.replace(  # this model's load alone, as an LLM step of its own
        step,
        steady_state_tps=rate,
        ramp_start_tps=ramp_start,
        copies=(),
        rates=(),
        min_copies=(),
        copy_targets=(),
    )
    single = dataclasses.replace(item, plan=dataclasses.replace(item.plan, step=share))
    llm = conf.model_copy(
        update={
            "llm_model_id": model.model_id,
            "llm_input_tokens_mean": model.input_tokens_mean,
            "llm_output_tokens_mean": model.output_tokens_mean,
            "llm_prompts_file": model.prompts_file,
            "ttft_p99_ms": model.limits.ttft_p99_ms,
            "itl_p99_ms": model.limits.itl_p99_ms,
            "latency_success_p99": model.limits.e2e_p99_ms,
            "hosting": "endpoint",
            "models": (),
        }
    )
    command = aiperf_step(llm, dataclasses.replace(single, start_at_epoch_ms=None), step_dir, url)
    return dataclasses.replace(command, inference_component=item.plan.component_names[slot])


def prompts_source(conf: SizingConf, item: LoadItem, slot: int = 0) -> str | None:
    """The prompts file a load item's AIPerf sends (None: synthetic prompts): on an endpoint of
    inference components, the loaded model's own (``component_aiperf_step``'s slot), else the conf's."""
    step = item.plan.step
    if step.components:
        return component_models(conf)[step.models_loaded[slot]].prompts_file
    return conf.llm_prompts_file
