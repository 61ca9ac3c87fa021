"""``sagemaker-sizing local start|stop|status|seed-model``: the embedded local SageMaker."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

LOG = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("local", help="run the embedded local SageMaker (moto + runtime emulator)")
    actions = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)

    start = actions.add_parser("start", help="start it (harmless when already running); prints its status")
    _state_dir(start)
    start.add_argument("--control-port", type=int, default=None, help="default: a free port")
    start.add_argument("--runtime-port", type=int, default=None, help="default: a free port")
    start.add_argument(
        "--runtime-tls-port", type=int, default=None, help="TLS listener; default: a free port"
    )
    start.add_argument(
        "--allow-unsigned",
        dest="allow_unsigned",
        action="store_true",
        default=False,
        help="also accept invocations without SigV4, unlike AWS (signed requests are still checked)",
    )
    start.add_argument(
        "--require-signed",
        dest="allow_unsigned",
        action="store_false",
        help="demand SigV4 on every invocation, as AWS does (the default)",
    )
    start.add_argument(
        "--time-compression", type=float, default=1.0, help="autoscaling runs this many times faster"
    )
    start.add_argument("--creating-delay", type=float, default=0.0, help="seconds in Creating/Updating")
    start.add_argument(
        "--realistic-deploys",
        action="store_true",
        default=False,
        help="endpoints take what they take on AWS for their instance family (resources/deploy_times.json: "
        "create, new config, count change in place, delete) divided by --time-compression, instead of "
        "--creating-delay (off by default)",
    )
    start.add_argument(
        "--profile", default=None, help="model profile JSON (default resources/model_profiles.json)"
    )
    start.add_argument("--region", default="us-west-2")
    start.add_argument("--model", action="append", default=[], help="seed this SageMaker model (repeatable)")
    start.add_argument(
        "--llm-model",
        action="append",
        default=[],
        help="seed this SageMaker model as an LLM one (LMI image, HF_MODEL_ID; repeatable)",
    )
    start.add_argument(
        "--llm-profile", default=None, help="LLM serving profiles JSON (default resources/llm_profiles.json)"
    )
    _quota_option(start)
    start.set_defaults(func=_start)

    quota = actions.add_parser(
        "quota", help="change service quotas of the local SageMaker (also while it runs): TYPE=N ..."
    )
    _state_dir(quota)
    quota.add_argument("assignments", nargs="+", metavar="TYPE=N", help="ml.m5.large=2, or endpoints=N")
    quota.set_defaults(func=_quota)

    stop = actions.add_parser("stop", help="stop it (harmless when not running)")
    _state_dir(stop)
    stop.set_defaults(func=_stop)

    status = actions.add_parser("status", help="print its status as JSON")
    _state_dir(status)
    status.set_defaults(func=_status)

    seed = actions.add_parser("seed-model", help="create a SageMaker model on the control plane if missing")
    _state_dir(seed)
    seed.add_argument(
        "name", nargs="?", default=None, help="the model's name (with --llm: default local-llm-model)"
    )
    seed.add_argument(
        "--llm",
        action="store_true",
        help="an LLM model: an LMI (djl-inference) image and HF_MODEL_ID, served as an LLM by the runtime",
    )
    seed.add_argument(
        "--hf-model-id", default=None, help="with --llm: its HF_MODEL_ID (default: the default LLM profile's)"
    )
    seed.set_defaults(func=_seed_model)


def _quota_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quota",
        action="append",
        default=[],
        metavar="TYPE=N",
        help="applied quota '<TYPE> for endpoint usage' (instances), or endpoints=N (repeatable; "
        "default generous)",
    )


def parse_quotas(items: list[str]) -> dict[str, int]:
    """``--quota`` values; argparse-style error on a bad one."""
    import argparse

    from sagemaker_sizing.local.quotas import parse_assignments

    try:
        return parse_assignments(items)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _quota(args: argparse.Namespace) -> int:
    import json

    from sagemaker_sizing.local.state_files import set_quotas

    print(json.dumps(set_quotas(parse_quotas(args.assignments), args.state_dir), indent=2, sort_keys=True))
    return 0


def _state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", default=None, help="default: <project>/.local-sagemaker")


def _start(args: argparse.Namespace) -> int:
    from sagemaker_sizing.local import start

    current = start(
        args.state_dir,
        control_port=args.control_port,
        runtime_port=args.runtime_port,
        runtime_tls_port=args.runtime_tls_port,
        allow_unsigned=args.allow_unsigned,
        time_compression=args.time_compression,
        creating_delay=args.creating_delay,
        realistic_deploys=args.realistic_deploys,
        profile=args.profile,
        llm_profile=args.llm_profile,
        region=args.region,
        models=tuple(args.model),
        llm_models=tuple(args.llm_model),
        quotas=parse_quotas(args.quota),
    )
    print(current.to_json())
    return 0


def _stop(args: argparse.Namespace) -> int:
    from sagemaker_sizing.local import stop

    print(stop(args.state_dir).to_json())
    return 0


def _status(args: argparse.Namespace) -> int:
    from sagemaker_sizing.local import status

    current = status(args.state_dir)
    print(current.to_json())
    return 0 if current.up else 3


def _seed_model(args: argparse.Namespace) -> int:
    from sagemaker_sizing.local import seed_model
    from sagemaker_sizing.local.seeding import DEFAULT_LLM_MODEL_NAME

    if args.name is None and not args.llm:
        print("seed-model: a model name is needed (or --llm for the default LLM model)", file=sys.stderr)
        return 2
    if args.hf_model_id and not args.llm:
        print("seed-model: --hf-model-id goes with --llm", file=sys.stderr)
        return 2
    name = args.name or DEFAULT_LLM_MODEL_NAME
    print(seed_model(name, args.state_dir, llm=args.llm, hf_model_id=args.hf_model_id))
    return 0
