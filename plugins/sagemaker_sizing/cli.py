"""The ``sagemaker-sizing`` console script.

Each subcommand lives in its own module exposing ``register(subparsers)``; that function adds
its parser and sets ``func`` (taking the parsed args, returning an exit code). Modules are
imported only to register, so they keep heavy imports (Airflow, boto3) inside their handlers.
A module that fails to import is an error naming its subcommand and the cause; one that needs an
extra that is not installed (``[local]``) is still listed, and says what to install when used.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from sagemaker_sizing import __version__
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import MutableMapping, Sequence

# Subcommands and their modules, in the order --help lists them.
COMMANDS: dict[str, str] = {
    "validate": "sagemaker_sizing.commands.validate",
    "preflight": "sagemaker_sizing.commands.preflight",
    "simulate": "sagemaker_sizing.commands.simulate",
    "parse": "sagemaker_sizing.commands.parse",
    "local": "sagemaker_sizing.commands.local",
    "demo": "sagemaker_sizing.commands.demo",
    "orphans": "sagemaker_sizing.commands.orphans",
    "ui": "sagemaker_sizing.commands.ui",
}

# The optional extras (pyproject's optional-dependencies): what each brings, and the modules the
# command line imports from it (the production install and image leave out [local]: no package
# sagemaker_sizing.local there, no moto).
EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "local": ("the local SageMaker", ("sagemaker_sizing.local", "moto")),
}


class CommandImportError(ImportError):
    """A subcommand's module failed to import for another reason than a missing extra: a broken
    install or a bug, never a subcommand to leave out in silence."""


def missing_extra(exc: ImportError) -> str | None:
    """The extra whose absence ``exc`` is (a module of it not found), or None."""
    if not isinstance(exc, ModuleNotFoundError):
        return None
    name = exc.name or ""
    for extra, (_, modules) in EXTRAS.items():
        if any(name == module or name.startswith(f"{module}.") for module in modules):
            return extra
    return None


def needs_extra(command: str, extra: str) -> str:
    what = EXTRAS[extra][0]
    return f"{command} needs {what}: pip install 'sagemaker-sizing[{extra}]'"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagemaker-sizing",
        description="Find the right and cheapest size of a SageMaker real-time endpoint by load testing.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            extra = missing_extra(exc)
            if extra is None:
                raise CommandImportError(
                    f"subcommand {command!r}: importing {module_name} failed: {exc}", name=module_name
                ) from exc
            _needs_extra_parser(subparsers, command, extra)
            continue
        module.register(subparsers)
        if command not in subparsers.choices:
            raise CommandImportError(f"subcommand {command!r}: {module_name} registered no {command!r}")
    return parser


def _needs_extra_parser(subparsers: Any, command: str, extra: str) -> None:
    """A subcommand whose module needs a missing extra: listed, and saying so when used."""
    # Whatever follows is taken as is (no option prefix): the message is the same for any of it.
    sub = subparsers.add_parser(
        command, help=f"(needs the [{extra}] extra)", add_help=False, prefix_chars="\0"
    )
    sub.add_argument("args", nargs="*")

    def handle(args: argparse.Namespace) -> int:
        print(needs_extra(command, extra), file=sys.stderr)
        return 2

    sub.set_defaults(func=handle)


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
        extra = missing_extra(exc)
        if extra is None:
            raise
        print(needs_extra(args.command, extra), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whoever read the output stopped (`| head`): no server is down, and nobody is left to tell.
        # Python's advice: point stdout at devnull so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
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
