"""The ``sagemaker-sizing`` console script.

Each subcommand lives in its own module exposing ``register(subparsers)``; that function adds
its parser and sets ``func`` (taking the parsed args, returning an exit code). Modules are
imported only to register, so they keep heavy imports (Airflow, boto3) inside their handlers.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import TYPE_CHECKING

from sagemaker_sizing import __version__
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import MutableMapping, Sequence

# Subcommand modules, in the order --help lists them.
COMMAND_MODULES: tuple[str, ...] = (
    "sagemaker_sizing.commands.validate",
    "sagemaker_sizing.commands.preflight",
    "sagemaker_sizing.commands.simulate",
    "sagemaker_sizing.commands.parse",
    "sagemaker_sizing.commands.local",
    "sagemaker_sizing.commands.demo",
    "sagemaker_sizing.commands.orphans",
    "sagemaker_sizing.commands.ui",
    "sagemaker_sizing.commands.celery_demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagemaker-sizing",
        description="Find the right and cheapest size of a SageMaker real-time endpoint by load testing.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real import error inside the module: surface it
                raise
            continue  # subcommand not built yet
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    saved = os.environ.copy()  # the command's settings end with it (main also runs inside tests)
    in_process = getattr(args, "airflow_in_process", False)
    airflow_environment(os.environ, in_process=in_process, verbose=args.verbose)
    try:
        return _run(args)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(("moto", "sagemaker_sizing.local")):
            raise
        # The production install (and image) leaves out the local SageMaker: an extra.
        print(
            f"{args.command} needs the local SageMaker: pip install 'sagemaker-sizing[local]'",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:
        message = infrastructure_error(exc)
        if message is None or args.verbose:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 1


def airflow_environment(env: MutableMapping[str, str], *, in_process: bool, verbose: bool) -> None:
    """Point Airflow at the project's home and keep its INFO lines out of a command's output.

    Without ``AIRFLOW_HOME`` Airflow reads ``~/airflow``, which has neither the project's settings
    nor its connections: the checkout's ``airflow_home`` (written by ``make setup``) is what the
    Makefile and the demo use, so the command line uses it too. Airflow configures its logging at
    INFO when first imported, and the Amazon provider then logs every connection lookup: a command
    that runs Airflow in its own process (``in_process``) gets WARNING unless ``--verbose``.
    Commands that start Airflow processes keep INFO, as their children's output is read.
    A value the user set is never overridden.
    """
    home = PROJECT_ROOT / "airflow_home"
    if (home / "airflow.cfg").is_file():
        env.setdefault("AIRFLOW_HOME", str(home))
    if in_process and not verbose:
        level = env.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING").upper()
        logging.getLogger("airflow").setLevel(level)  # its lines before it configures its own logging


def infrastructure_error(exc: BaseException) -> str | None:
    """One line for an error of the world outside (a server that does not answer, AWS refusing a
    call, no credentials); None for a bug, which keeps its traceback (as does ``--verbose``)."""
    if isinstance(exc, ConnectionError | TimeoutError):
        return f"{exc} (is the server running?)"
    try:
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return None
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"AWS refused {exc.operation_name}: {error.get('Code')}: {error.get('Message')}"
    if isinstance(exc, BotoCoreError):
        return str(exc)
    return None


if __name__ == "__main__":
    sys.exit(main())
