"""The one table of sizing-conf fields: names, JSON types, defaults and meanings.

Names and defaults follow perfsizesagemaker's command line (perfsizesagemaker/main.py) so its users'
parameters work unchanged; the DAG's Params and the conf reference are both built from this table,
so they cannot drift from what ``load_conf`` accepts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NUMBER = "number"
INTEGER = "integer"
STRING = "string"
ARRAY = "array"
NULL = "null"
BOOLEAN = "boolean"

STRATEGIES = ("adaptive", "perfsize")
ENDPOINT_KINDS = ("realtime", "serverless")
JAR_KINDS = ("auto", "project", "sagemaker-gatling")  # core.gatling.jar_kind
ON_QUOTA = ("stop", "skip")
# SageMaker's pattern for model, endpoint, endpoint config and variant names (63 characters at most).
SAGEMAKER_NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
SAGEMAKER_NAME_RULE = (
    "a SageMaker name: letters, digits and hyphens, starting and ending with a letter or digit, "
    "at most 63 characters"
)
# `validate` warns when a conf's worst-case load-test cost is above this (or above its budget).
WARN_TEST_COST_USD = 100


@dataclass(frozen=True)
class Field:
    """One conf option. ``required`` fields have no default (as on perfsizesagemaker's command line)."""

    name: str
    types: tuple[str, ...]
    description: str
    default: Any = None
    required: bool = False
    enum: tuple[Any, ...] | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # a regular expression a string value must match (JSON schema's)


FIELDS: tuple[Field, ...] = (
    # perfsizesagemaker's options, same names, same defaults.
    Field("iam_role_arn", (STRING, NULL), "role to assume to get credentials, otherwise from environment"),
    Field("host", (STRING, NULL), "SageMaker runtime host; null: runtime.sagemaker.<region>.amazonaws.com"),
    Field("region", (STRING,), "region name for boto3 and cost lookup", required=True),
    Field(
        "endpoint_name",
        (STRING,),
        "name of SageMaker Endpoint (the base of each lane's endpoint name: the run's hash and the "
        "lane are appended, the base shortened to fit 63 characters)",
        required=True,
        pattern=SAGEMAKER_NAME_PATTERN,
    ),
    Field(
        "endpoint_config_name",
        (STRING,),
        "name of SageMaker EndpointConfig",
        required=True,
        pattern=SAGEMAKER_NAME_PATTERN,
    ),
    Field(
        "variant_name",
        (STRING,),
        "name of SageMaker Endpoint Variant",
        default="variant-name-1",
        pattern=SAGEMAKER_NAME_PATTERN,
    ),
    Field(
        "model_name",
        (STRING,),
        "name of SageMaker Model (must already exist)",
        required=True,
        pattern=SAGEMAKER_NAME_PATTERN,
    ),
    Field(
        "scenario_requests",
        (STRING, ARRAY),
        'JSON array (or its string) of request files and weights: [{"path": ..., "weight": 100}]; '
        "paths relative to the conf file, weights non-negative and summing to 100; each file is read "
        "by validate: non-empty, and valid JSON (requests are sent as application/json)",
        required=True,
    ),
    Field("peak_tps", (NUMBER,), "required highest TPS", required=True, exclusive_minimum=0),
    Field("latency_success_p99", (NUMBER,), "allowed p99 latency (ms)", required=True, exclusive_minimum=0),
    Field("percent_fail", (NUMBER,), "allowed failure percentage", required=True, minimum=0, maximum=100),
    Field("type_walk", (STRING, ARRAY), "comma separated instance types to test", required=True),
    Field("count_walk", (STRING, ARRAY), "comma separated counts to test", required=True),
    Field("tps_walk", (STRING, ARRAY), "comma separated TPS values to test", required=True),
    Field("duration_minutes", (NUMBER,), "duration in minutes for type tests", 3, exclusive_minimum=0),
    Field("endurance_ramp_start_tps", (NUMBER,), "TPS at start of endurance test ramp", 0, minimum=0),
    Field("endurance_ramp_minutes", (NUMBER,), "duration in minutes for endurance test ramp", 0, minimum=0),
    Field(
        "endurance_steady_state_minutes",
        (NUMBER,),
        "duration in minutes for endurance steady state (0 skips the endurance and autoscaling phases)",
        30,
        minimum=0,
    ),
    Field("endurance_retries", (INTEGER,), "number of times to retry endurance test", 3, minimum=0),
    Field(
        "perfsize_results_dir",
        (STRING,),
        "directory or object-store URL (s3://bucket/prefix) for saving test results; "
        "the default: the deployment's results_dir setting",
        "perfsize-results-dir",
    ),
    Field(
        "cost_file",
        (STRING, NULL),
        "path to file mapping instance type to hourly rate; null: the region's table in resources/cost",
    ),
    Field("jar_file", (STRING, NULL), "path to a sagemaker-gatling jar; null: the project's own jar"),
    Field(
        "jar_kind",
        (STRING,),
        "what jar_file is: auto (read from the jar: main class, GenericSageMakerScenario, Gatling "
        "version), project (the project's own jar: host as a URL, credentials from its environment) or "
        "sagemaker-gatling (intuit's: https + bare host, credentials from its auth.* config keys)",
        "auto",
        enum=JAR_KINDS,
    ),
    Field("logging_config", (STRING, NULL), "accepted for compatibility; Airflow configures logging"),
    # New options.
    Field(
        "strategy",
        (STRING,),
        "walk strategy: adaptive (parallel types, bisection, cheapest type) or perfsize (step for "
        "step what perfsizesagemaker does)",
        "adaptive",
        enum=STRATEGIES,
    ),
    Field(
        "precision",
        (NUMBER,),
        "adaptive: stop bisecting a type's TPS per instance when (fail - pass) / pass <= precision",
        0.05,
        exclusive_minimum=0,
        maximum=1,
    ),
    Field(
        "max_test_cost_usd",
        (NUMBER, NULL),
        "budget for load tests (USD): a round whose estimated cost (instances x minutes x price) "
        "would take the spend past it is not started, and the report says so; validate warns when "
        f"the worst-case test cost is above it (above ${WARN_TEST_COST_USD} when null)",
        minimum=0,
    ),
    Field(
        "safety_factor",
        (NUMBER,),
        "AWS formula autoscaling target = int(max_rps_per_instance * 60 * safety_factor)",
        0.5,
        exclusive_minimum=0,
        maximum=1,
    ),
    Field(
        "max_parallel_endpoints",
        (INTEGER,),
        "adaptive: endpoints tested side by side in the autoscaling search (type lanes always run "
        "one per type)",
        4,
        minimum=1,
    ),
    # Serverless Inference (issue 17): sized beside (or instead of) the real-time endpoint.
    Field(
        "endpoint_kinds",
        (STRING, ARRAY),
        "comma separated endpoint kinds to size: realtime (instance-backed), serverless, or both "
        "(the report then compares their monthly cost)",
        "realtime",
    ),
    Field(
        "serverless_memory_walk",
        (STRING, ARRAY),
        "serverless: comma separated memory sizes (MB) to test, multiples of 1024 from 1024 to 6144; "
        "the smallest that meets the SLOs at peak TPS wins",
        "1024,2048,3072,4096,5120,6144",
    ),
    Field(
        "serverless_max_concurrency",
        (INTEGER,),
        "serverless: highest MaxConcurrency the walk may choose (SageMaker allows 1-200)",
        20,
        minimum=1,
        maximum=200,
    ),
    Field(
        "serverless_provisioned_concurrency",
        (INTEGER, NULL),
        "serverless: ProvisionedConcurrency kept warm (at most serverless_max_concurrency); "
        "null: none, every container may cold-start",
        minimum=1,
        maximum=200,
    ),
    Field(
        "serverless_idle_minutes",
        (NUMBER,),
        "serverless: minutes the endpoint idles before the cold-start step (0 skips that step)",
        10,
        minimum=0,
    ),
    Field(
        "average_tps",
        (NUMBER, NULL),
        "average TPS over the month, for the monthly cost of each endpoint kind; null: peak_tps",
        minimum=0,
    ),
    Field(
        "live_prices",
        (BOOLEAN,),
        "prices from the AWS Price List API (pricing:GetProducts), cached per day under the results "
        "root; the bundled table (or cost_file) where it has none or cannot be reached",
        False,
    ),
    Field(
        "on_quota",
        (STRING,),
        "what a service quota that cannot hold a type's deployment does: stop (before deploying, "
        "when preflight finds it; mid-run, the walk ends there) or skip (that type is dropped from "
        "the walk, and the report says why)",
        "stop",
        enum=ON_QUOTA,
    ),
)

FIELD_NAMES: frozenset[str] = frozenset(f.name for f in FIELDS)
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)


def field_schema(field: Field) -> dict[str, Any]:
    """JSON schema of one field (what an Airflow ``Param`` takes as keyword arguments)."""
    schema: dict[str, Any] = {
        "type": field.types[0] if len(field.types) == 1 else list(field.types),
        "description": field.description,
    }
    if not field.required:
        schema["default"] = field.default
    if field.enum is not None:
        schema["enum"] = list(field.enum)
    if field.pattern is not None:
        schema["pattern"] = field.pattern
    for key, value in (
        ("minimum", field.minimum),
        ("exclusiveMinimum", field.exclusive_minimum),
        ("maximum", field.maximum),
    ):
        if value is not None:
            schema[key] = value
    return schema


def params_schema() -> dict[str, dict[str, Any]]:
    """One JSON schema per field, in table order; required fields carry no ``default``."""
    return {field.name: field_schema(field) for field in FIELDS}


def defaults() -> dict[str, Any]:
    """Defaults of the optional fields."""
    return {f.name: f.default for f in FIELDS if not f.required}
