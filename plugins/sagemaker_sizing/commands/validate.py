"""``sagemaker-sizing validate CONF.json [--max-rounds N]``: the DAG's own validation, offline.

Exit 0 with a summary (types and prices, worst-case rounds, minutes and test cost) and any
warnings (a worst-case test cost above the budget or above $100), or exit 2 listing every
problem, each naming the field, the value and what was expected. The walk must fit the DAG's
round slots: ``--max-rounds``, else the DAG's setting (``AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS`` or
``[sagemaker_sizing] max_rounds`` in ``$AIRFLOW_HOME/airflow.cfg``), else its default.
``validate --help`` lists the conf's fields.
"""

from __future__ import annotations

import argparse
import codecs
import configparser
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from sagemaker_sizing.core.conf.model import ConfError, SizingConf

EXIT_INVALID = 2


class _HelpWithFields(argparse._HelpAction):
    """``validate --help`` ends with the conf's fields, read from the model only when help is
    asked for (so that no other command pays for importing it)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        from sagemaker_sizing.core.conf.schema import fields_help

        parser.epilog = fields_help()
        super().__call__(parser, *args, **kwargs)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "validate",
        help="check a sizing conf (every problem at once)",
        add_help=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-h", "--help", action=_HelpWithFields, help="show this help and the conf's fields")
    parser.add_argument("conf", type=Path, help="conf JSON file (relative paths are relative to it)")
    parser.add_argument(
        "--max-rounds", type=int, default=None, help="the DAG's number of round slots (default: its setting)"
    )
    deploy_times_option(parser)
    parser.set_defaults(func=handle)


def deploy_times_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--deploy-times",
        type=Path,
        default=None,
        help="deploy-time table for the figures on AWS (default: resources/deploy_times.json)",
    )


def read_deploy_times(path: Path | None) -> Any:
    """The deploy-time table, or why it cannot be read (a string)."""
    from sagemaker_sizing.core.timeline.deploy_times import DeployTimesError, load_deploy_times

    try:
        return load_deploy_times(path)
    except DeployTimesError as exc:
        return str(exc)


class _JsonLiteral:
    """A JSON-like literal that is no JSON number (NaN, Infinity, 1e309): kept as written, so the
    field it stands in is reported with what the file said, and no check takes it for a number."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _float_or_literal(text: str) -> float | _JsonLiteral:
    value = float(text)
    return value if math.isfinite(value) else _JsonLiteral(text)


def _object_once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _DuplicateKey(ValueError):
    pass


def read_conf_file(path: Path) -> dict[str, object] | str:
    """The conf file's object, or why it cannot be read (the file and what was expected)."""
    expected = "expected a JSON object of conf fields"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{path}: {expected}, but the file cannot be read ({exc.strerror or exc})"
    if data.startswith(codecs.BOM_UTF8):
        return (
            f"{path}: {expected} in UTF-8 without a byte order mark "
            "(the file starts with one; save it as plain UTF-8)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"{path}: {expected} in UTF-8 text (byte {exc.start} is not UTF-8)"
    if not text.strip():
        return f"{path}: {expected}, but the file is empty"
    try:
        raw = json.loads(
            text, parse_float=_float_or_literal, parse_constant=_JsonLiteral, object_pairs_hook=_object_once
        )
    except json.JSONDecodeError as exc:
        hint = " (JSON has no comments)" if text.lstrip().startswith(("//", "/*", "#")) else ""
        return (
            f"{path}: {expected}, got invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{hint}"
        )
    except _DuplicateKey as exc:
        return f"{path}: {expected}, each field once; {exc.args[0]!r} is given twice"
    except RecursionError:
        return f"{path}: {expected}, got JSON nested too deeply to read"
    if not isinstance(raw, dict):
        return f"{path}: {expected}, got a JSON {_json_kind(raw)}"
    return raw


def _json_kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    return "number"


def dag_max_rounds() -> int:
    """The DAG's round slots, read as Airflow reads them (env var, then airflow.cfg), without
    importing Airflow."""
    from sagemaker_sizing.core.conf.validation import DEFAULT_MAX_ROUNDS

    value = os.environ.get("AIRFLOW__SAGEMAKER_SIZING__MAX_ROUNDS")
    if value is None:
        home = Path(os.environ.get("AIRFLOW_HOME") or PROJECT_ROOT / "airflow_home")
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(home / "airflow.cfg")
        value = parser.get("sagemaker_sizing", "max_rounds", fallback=None)
    return int(value) if value else DEFAULT_MAX_ROUNDS


def print_problems(conf_path: Path, exc: ConfError) -> None:
    print(f"invalid: {conf_path}: {len(exc.problems)} problem(s)")
    for problem in exc.problems:
        print(f"- {problem}")


def _jar_summary(conf: SizingConf) -> str:
    """What the load steps will drive: the jar's kind (detected or set) and its Gatling."""
    from sagemaker_sizing.core.conf.model import resolved_jar_kind
    from sagemaker_sizing.core.gatling.jar_kind import inspect_jar

    how = "detected" if conf.jar_kind == "auto" else "jar_kind"
    version = inspect_jar(conf.jar_file).gatling_version if conf.jar_file else None
    return f"{resolved_jar_kind(conf)} ({how}), Gatling {version or 'of unknown version'}"


def handle(args: argparse.Namespace) -> int:
    from sagemaker_sizing.core.conf.model import ConfError
    from sagemaker_sizing.core.conf.validation import validate_conf
    from sagemaker_sizing.core.cost.money import dollars, exact
    from sagemaker_sizing.core.simulate.dry_run import worst_on_aws
    from sagemaker_sizing.core.timeline.words import billed_from, side_by_side

    params = read_conf_file(args.conf)
    if isinstance(params, str):
        print(f"invalid: {params}")
        return EXIT_INVALID
    times = read_deploy_times(args.deploy_times)
    if isinstance(times, str):
        print(f"invalid: {times}")
        return EXIT_INVALID
    max_rounds = args.max_rounds if args.max_rounds is not None else dag_max_rounds()
    try:
        valid = validate_conf(params, max_rounds=max_rounds, base_dir=args.conf.resolve().parent)
    except ConfError as exc:
        print_problems(args.conf, exc)
        return EXIT_INVALID
    conf, worst = valid.conf, valid.worst
    prices = ", ".join(f"{t} ${exact(p)}/hour" for t, p in conf.prices)
    print(f"valid: {args.conf}")
    if conf.jar_file:
        print(f"jar_file {conf.jar_file}: {_jar_summary(conf)}")
    print(f"strategy {conf.strategy}, peak {peak_words(conf)}, region {conf.region}: {prices}")
    print(
        f"worst case: {worst.rounds} rounds (of {max_rounds} round slots), "
        f"{float(worst.load_test_minutes):g} load-test minutes, {float(worst.instance_minutes):g} "
        f"instance-minutes, {dollars(worst.test_cost_usd, grouped=True)} test cost"
    )
    on_aws = worst_on_aws(conf, times)
    print(
        f"worst case on AWS ({on_aws['deploy_times']}, {billed_from(on_aws['billing_start'])}): "
        f"{side_by_side(on_aws['strategies'], bound=True)}"
    )
    for warning in valid.warnings:
        print(f"warning: {warning}")
    return 0


def peak_words(conf: SizingConf) -> str:
    """``60 TPS``, or an LLM's ``6 req/s (576 output tokens/s)``."""
    if conf.peak_output_tokens_per_s is None:
        return f"{conf.peak_tps:g} TPS"
    return f"{conf.peak_tps:g} req/s ({conf.peak_output_tokens_per_s:g} output tokens/s)"
