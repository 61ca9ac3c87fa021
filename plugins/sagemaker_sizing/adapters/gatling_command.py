"""The java command line of one load step, as perfsizesagemaker runs intuit's sagemaker-gatling jar.

``GatlingStep`` is the typed command of one load step; pure functions render it (a list for
subprocess, a quoted string for a BashOperator) and never run it. Credentials never appear in
it: the jar signs with credentials from its environment (or the AWS default provider chain),
which the caller sets on the process.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sagemaker_sizing.core.conf.model import ScenarioRequest
from sagemaker_sizing.core.gatling.jar_kind import PROJECT, SAGEMAKER_GATLING
from sagemaker_sizing.paths import GATLING_JAR

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

__all__ = [
    "Folder",
    "GatlingStep",
    "ScenarioRequest",
    "foreign_jar_opts",
    "format_number",
    "gatling_args",
    "gatling_shell_command",
    "is_result_folder_of",
    "output_base_name",
    "requests_json",
    "result_folder",
]

SCENARIO = "GenericSageMakerScenario"
# Seconds of unrecorded load before the clock starts (-Dscenario.warmUpSeconds, a property of the
# project's jar that intuit's jar ignores): a fresh JVM's first seconds at 1000 TPS otherwise show
# the injector's own warm-up as seconds of p99 (docs/benchmarks.md, "Gatling load jar").
DEFAULT_WARM_UP_SECONDS = 3
# class_data_archive="auto": the jar's sibling <name>.jsa when it exists (scripts/setup.sh makes
# one for the project's jar); a JVM started with it skips most class loading.
AUTO = "auto"
# Gatling names a results folder <outputDirectoryBaseName>-<yyyyMMddHHmmssSSS>.
_RESULT_SUFFIX = re.compile(r"-\d{17}")
# Properties that would put a secret on the command line (process lists, task logs).
_SECRET_OPTS = re.compile(r"^-D(auth\.|aws\.(accessKeyId|secretAccessKey|sessionToken)\b)", re.IGNORECASE)

# The shared start instant of a step's injectors, in epoch milliseconds.
START_AT_PROPERTY = "-Dscenario.startAtEpochMs="
# What a sagemaker-gatling jar (intuit's, Gatling 3.2.0) gets beyond perfsizesagemaker's properties,
# each seen missing with the genuine jar (docs/migration.md, "Checked with the genuine jar"):
# - its FileHelper reads a payload with the JVM's default charset: under a POSIX locale (no LANG,
#   as in a service or a slim image) Java 17 decodes ASCII and a payload with one non-ASCII byte
#   crashes the run (MalformedInputException) before a request is sent;
# - Gatling's defaults call the internet: a warm-up GET to https://gatling.io and a Google
#   Analytics hit (gatling.http.enableGA up to 3.x, gatling.data.enableAnalytics later). The
#   warm-up goes to the target host's root instead (what it warms is the HTTP and TLS stack).
# Gatling reads its settings from system properties first; unknown keys are ignored.
_FOREIGN_PROPERTIES = (
    "-Dfile.encoding=UTF-8",
    "-Dgatling.http.enableGA=false",
    "-Dgatling.data.enableAnalytics=false",
)

Number = int | float | Decimal


@dataclass(frozen=True)
class GatlingStep:
    """Everything one load step passes to the jar.

    host: ``runtime.sagemaker.<region>.amazonaws.com`` (https, signed) or ``http://127.0.0.1:PORT``
    (the local emulator, signed only when AWS credentials are in the jar's environment).
    """

    host: str
    region: str
    endpoint: str
    steady_state_tps: Number
    steady_state_minutes: Number
    requests: Sequence[ScenarioRequest]
    output_base_name: str
    results_dir: str | Path
    ramp_start_tps: Number = 0
    ramp_minutes: Number = 0
    jar: str | Path = GATLING_JAR
    java: str = "java"
    jvm_opts: Sequence[str] = field(default_factory=tuple)
    simulation: str = SCENARIO
    warm_up_seconds: Number = DEFAULT_WARM_UP_SECONDS
    class_data_archive: str | Path | None = AUTO
    # The instant (epoch ms) the step's injectors start together (-Dscenario.startAtEpochMs): the
    # project's jar waits for it once its JVM is up; for another jar the load task waits before it.
    start_at_epoch_ms: int | None = None
    # core.gatling.jar_kind: a sagemaker-gatling jar also gets foreign_jar_opts.
    jar_kind: str = PROJECT


def format_number(value: Number) -> str:
    """``10`` / ``10.0`` -> ``"10"``, ``0.25`` -> ``"0.25"``: no exponent, no trailing zeros."""
    dec = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if not dec.is_finite():
        raise ValueError(f"not a finite number: {value}")
    text = format(dec.normalize(), "f")
    return "0" if text in ("-0", "") else text


def requests_json(requests: Sequence[ScenarioRequest]) -> str:
    """The ``scenario.requests`` value; weights are whole percentages totalling 100."""
    if not requests:
        raise ValueError("scenario requests: at least one payload file is needed")
    weights = [int(r.weight) for r in requests]
    if any(w < 0 for w in weights) or sum(weights) != 100:
        raise ValueError(f"scenario requests: weights must be >= 0 and total 100, got {requests}")
    return json.dumps(
        [{"path": r.path, "weight": w} for r, w in zip(requests, weights, strict=True)], separators=(",", ":")
    )


def output_base_name(
    started_unix: int,
    instance_type: str,
    steady_state_tps: Number,
    *,
    instance_count: int | None = None,
    scaling_min: int | None = None,
    scaling_max: int | None = None,
    unit: str = "TPS",
) -> str:
    """perfsizesagemaker's run tag: ``<unix>-<type>-<count>-<tps>TPS`` or ``...-min<m>-max<M>-<tps>TPS``
    (an LLM step's rate is in requests per second: ``unit`` ``RPS``)."""
    size = f"min{scaling_min}-max{scaling_max}" if scaling_max is not None else f"{instance_count}"
    return f"{started_unix}-{instance_type}-{size}-{format_number(steady_state_tps)}{unit}"


def gatling_args(step: GatlingStep) -> list[str]:
    """The command as an argument list, property for property what perfsizesagemaker passes.

    Plus ``-XX:SharedArchiveFile`` when there is a class-data archive, ``-Dscenario.warmUpSeconds``
    when warm_up_seconds > 0 (None and 0 give perfsizesagemaker's exact list), and for a
    sagemaker-gatling jar ``foreign_jar_opts``.
    """
    if step.jar_kind not in (PROJECT, SAGEMAKER_GATLING):
        raise ValueError(f"jar_kind must be {PROJECT} or {SAGEMAKER_GATLING}, got {step.jar_kind!r}")
    for opt in step.jvm_opts:
        if _SECRET_OPTS.match(opt):
            raise ValueError(f"credentials never go on the command line: {opt.split('=', 1)[0]}")
    for name, value in (("ramp_start_tps", step.ramp_start_tps), ("ramp_minutes", step.ramp_minutes)):
        if Decimal(format_number(value)) < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
    warm_up = format_number(step.warm_up_seconds)
    if Decimal(warm_up) < 0:
        raise ValueError(f"warm_up_seconds must be >= 0, got {step.warm_up_seconds}")
    return [
        step.java,
        *_archive_opts(step),
        # Before the user's java_opts: the last -D of a name wins, so theirs can override these.
        *(foreign_jar_opts(step.host) if step.jar_kind == SAGEMAKER_GATLING else []),
        *step.jvm_opts,
        *([f"-Dscenario.warmUpSeconds={warm_up}"] if Decimal(warm_up) > 0 else []),
        *([f"{START_AT_PROPERTY}{step.start_at_epoch_ms}"] if step.start_at_epoch_ms is not None else []),
        f"-Dgatling.core.outputDirectoryBaseName={step.output_base_name}",
        f"-Dsagemaker.host={step.host}",
        f"-Dsagemaker.region={step.region}",
        f"-Dsagemaker.endpoint={step.endpoint}",
        f"-Dscenario.rampStartTps={format_number(step.ramp_start_tps)}",
        f"-Dscenario.rampMinutes={format_number(step.ramp_minutes)}",
        f"-Dscenario.steadyStateTps={format_number(step.steady_state_tps)}",
        f"-Dscenario.steadyStateMinutes={format_number(step.steady_state_minutes)}",
        f"-Dscenario.requests={requests_json(step.requests)}",
        "-jar",
        str(step.jar),
        "-s",
        step.simulation,
        "-rf",
        str(step.results_dir),
    ]


def foreign_jar_opts(host: str) -> list[str]:
    """The JVM properties a sagemaker-gatling jar gets for the bare ``host`` it calls (see
    ``_FOREIGN_PROPERTIES``): UTF-8 payloads, no Gatling call to the internet."""
    return [*_FOREIGN_PROPERTIES, f"-Dgatling.http.warmUpUrl=https://{host}/"]


def _archive_opts(step: GatlingStep) -> list[str]:
    archive = step.class_data_archive
    if archive == AUTO:
        # The one file-system look-up here: a missing archive simply means none.
        sibling = Path(step.jar).with_suffix(".jsa")
        archive = sibling if sibling.is_file() else None
    return [f"-XX:SharedArchiveFile={archive}"] if archive else []


def gatling_shell_command(step: GatlingStep) -> str:
    """The same command as one shell string, every argument quoted (for a BashOperator)."""
    return shlex.join(gatling_args(step))


class Folder(Protocol):
    """What the step-folder rule needs of a folder: a local ``Path`` or an object-store path."""

    @property
    def name(self) -> str: ...

    def is_dir(self) -> bool: ...

    def iterdir(self) -> Iterator[Any]: ...


_F = TypeVar("_F", bound=Folder)


def is_result_folder_of(name: str, base_name: str) -> bool:
    """Whether ``name`` is Gatling's results folder of ``base_name``: ``<base>-<yyyyMMddHHmmssSSS>``."""
    return name.startswith(base_name) and _RESULT_SUFFIX.fullmatch(name[len(base_name) :]) is not None


def result_folder(results_dir: _F, base_name: str) -> _F | None:
    """The newest Gatling results folder of a step directly under ``results_dir``, if any.

    The one rule for every reader (parse, the upload of a staged step, the UI's step link): a
    *folder* named ``<base_name>-<yyyyMMddHHmmssSSS>`` (Gatling's timestamp: 17 digits, so the
    newest sorts last by name); a retried load leaves older ones. ``results_dir`` may be a local
    folder or an object-store folder (``ObjectStoragePath``).
    """
    if not base_name or "/" in base_name or "\\" in base_name or base_name in {".", ".."}:
        return None
    try:
        children = list(results_dir.iterdir()) if results_dir.is_dir() else []
    except (FileNotFoundError, NotADirectoryError):
        return None
    named = sorted((c for c in children if is_result_folder_of(c.name, base_name)), key=lambda c: c.name)
    # Newest first; a file with a step folder's name (a stray upload, a copy) is not a step folder.
    return next((c for c in reversed(named) if c.is_dir()), None)


def auth_config(access_key: str, secret_key: str, session_token: str) -> str:
    """A Typesafe config file giving a sagemaker-gatling jar its ``auth.*`` keys.

    It first includes the jar's own ``application.conf`` (``-Dconfig.file`` replaces it otherwise),
    so everything else the jar configures stays as it was. JSON strings are HOCON strings.
    """
    return (
        "# Written for one load step, mode 0600, deleted when the step ends.\n"
        'include classpath("application.conf")\n'
        f"auth.awsAccessKeyId = {json.dumps(access_key)}\n"
        f"auth.awsSecretAccessKey = {json.dumps(secret_key)}\n"
        f"auth.awsSessionToken = {json.dumps(session_token)}\n"
    )
