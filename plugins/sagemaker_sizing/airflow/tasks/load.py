"""The load step: ``injectors`` splits the round's batch into typed load items (one per Gatling
process), and ``load``, a BashOperator mapped over them, runs one injector each: the Gatling jar,
or for an LLM conf (``workload: "llm"``) NVIDIA AIPerf from its own venv (``airflow/llm_load.py``,
``adapters/aiperf_command.py``).

The load operator builds its command from its item when it runs (``GatlingStep``, the typed
command), so everything around the JVM reads the item, never the command line:

- a step deploy already decided (a quota refused it) sends nothing;
- a split step's injectors share a start instant (``-Dscenario.startAtEpochMs``). The project's
  jar waits for it itself, once its JVM is up; a foreign jar (intuit's sagemaker-gatling) does
  not know the property, so the task waits before starting it;
- with an object-store results dir, Gatling writes to this host's staging folder and the step's
  folder (simulation.log and the HTML report) goes to the store when the JVM is done, where
  parse, the report and the UI read it from any host.

Credentials come from the AWS connection at run time and never reach the command line (process
lists), a rendered template field, XCom or a log (the secret key and token are registered with
Airflow's secrets masker). AIPerf gets them as the project's jar does, in its environment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import task

# What the standard provider's @task.bash gives a BashOperator whose command its execute sets.
from airflow.sdk.definitions._internal.types import SET_DURING_EXECUTION
from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.adapters.gatling_command import (
    DEFAULT_WARM_UP_SECONDS,
    GatlingStep,
    gatling_shell_command,
    result_folder,
)
from sagemaker_sizing.adapters.load_command import is_llm, shell_command
from sagemaker_sizing.airflow import llm_load, results_store, runtime_host, settings, step_records
from sagemaker_sizing.airflow.gatling_output import GatlingOutputHook
from sagemaker_sizing.airflow.links import GatlingReportLink, gatling_report_path, gatling_target, ui_address
from sagemaker_sizing.airflow.task_ids import INJECTORS
from sagemaker_sizing.core.conf.model import conf_from_dict, resolved_jar_kind
from sagemaker_sizing.core.files import injector_base_name
from sagemaker_sizing.core.gatling.jar_kind import PROJECT
from sagemaker_sizing.core.llm.prompts import PromptsError
from sagemaker_sizing.core.model import LoadItem
from sagemaker_sizing.core.serde import load_item_from_dict, load_item_to_dict, plan_item_from_dict
from sagemaker_sizing.paths import GATLING_JAR

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from airflow.sdk import Context

    from sagemaker_sizing.core.conf.model import SizingConf
    from sagemaker_sizing.core.model import PlanItem

log = logging.getLogger(__name__)

_AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@task(task_id=INJECTORS)
def split_injectors(items: Any) -> list[dict[str, Any]]:
    """The round's load items, one per injector. It runs once the endpoints are InService: the
    split steps' injectors start together then."""
    planned = [plan_item_from_dict(item) for item in items]
    return [load_item_to_dict(item) for item in load_items(planned, injector_start(planned))]


def load_items(items: Sequence[PlanItem], start_at_epoch_ms: int | None) -> list[LoadItem]:
    """One load item per injector process: a step above one injector's TPS is split evenly, and
    the injectors of a split step share ``start_at_epoch_ms``; a step with one starts when its
    task does."""
    return [
        LoadItem(item, injector, start_at_epoch_ms if item.injectors > 1 else None)
        for item in items
        for injector in range(item.injectors)
    ]


def injector_start(items: Sequence[PlanItem], now_s: float | None = None) -> int | None:
    """The instant (epoch ms) a round's split steps start: ``injector_start_lead`` seconds from now,
    time for every worker to pick its load task up and start its JVM. None when no step is split."""
    if all(item.injectors <= 1 for item in items):
        return None
    now = time.time() if now_s is None else now_s
    return int((now + settings.injector_start_lead()) * 1000)


def gatling_step(
    sizing_conf: SizingConf, item: LoadItem, results_dir: Path, host: str, java_opts: str
) -> GatlingStep:
    """The Gatling command of one load item: its injector's share of the step's TPS, against the
    endpoint its plan named (deploy made it InService under that name)."""
    step, injectors = item.plan.step, item.injectors
    kind = resolved_jar_kind(sizing_conf)
    command = GatlingStep(
        host=host,
        region=sizing_conf.region,
        endpoint=str(item.plan.endpoint_name),
        ramp_start_tps=step.ramp_start_tps / injectors,
        ramp_minutes=step.ramp_minutes,
        steady_state_tps=step.steady_state_tps / injectors,
        steady_state_minutes=step.steady_state_minutes,
        requests=sizing_conf.scenario_requests,
        output_base_name=item.output_base_name,
        results_dir=results_dir,
        jar=settings.resolve(sizing_conf.jar_file) if sizing_conf.jar_file else GATLING_JAR,
        jvm_opts=tuple(java_opts.split()),
        # A foreign jar gets perfsizesagemaker's command line (plus foreign_jar_opts).
        warm_up_seconds=DEFAULT_WARM_UP_SECONDS if kind == PROJECT else 0,
        start_at_epoch_ms=item.start_at_epoch_ms,
        jar_kind=kind,
    )
    if step.serverless:  # it measures its cold starts: no silent warm-up requests first
        command = dataclasses.replace(command, warm_up_seconds=0)
    return command


def bash_command(item: LoadItem, command: GatlingStep) -> str:
    """The shell line that runs ``command``; a serverless cold-start step's endpoint idles first."""
    line = gatling_shell_command(command)
    idle_minutes = item.plan.step.idle_minutes
    return f"sleep {idle_minutes * 60:g} && {line}" if idle_minutes > 0 else line


def load_dir_of(conf: Mapping[str, Any], dag_id: str, run_id: str) -> Path:
    """Where Gatling writes: the run folder itself when local, else this host's staging folder
    (the load task uploads its step folder to the store when the JVM is done)."""
    run_dir = results_store.results_dir_of(conf, dag_id, run_id)
    if results_store.is_local(run_dir):
        return Path(str(run_dir))
    return results_store.staging_folder(run_dir.name)


class GatlingLoadOperator(BashOperator):
    """Runs one Gatling injector of a step, or an LLM step's AIPerf: ``bash_command`` is built from
    the load item when the task runs (the Rendered tab shows it once the task is done).

    Credentials never reach the command line:

    - the project's jar gets them in its environment (``AWS_ACCESS_KEY_ID``, ...);
    - a sagemaker-gatling jar reads only its Typesafe config keys ``auth.*`` and always signs a
      session token: it gets temporary credentials (the conf's role's, else STS GetSessionToken)
      in a config file of its own (mode 0600, including the jar's ``application.conf``, deleted
      when the step ends), named by ``-Dconfig.file`` in ``JAVA_TOOL_OPTIONS``;
    - AIPerf gets them in its environment too (botocore's chain reads them first), with
      ``AWS_EC2_METADATA_DISABLED`` and no ``AWS_PROFILE`` beside them, and runs at log level info
      (botocore's debug output holds the session token).

    :param item: the load item (``serde.load_item_to_dict``; templated; mapped).
    :param conf: the validated conf (templated): region, host, jar, ``iam_role_arn`` (assumed if set).
    :param aws_conn_id: the AWS connection whose credentials sign the requests, and whose
        ``sagemaker-runtime`` endpoint is the host when the conf names none.
    """

    template_fields = (*BashOperator.template_fields, "item", "conf")
    # What execute set (the command) replaces the placeholder in the task's rendered fields.
    overwrite_rtif_after_execution = True

    ui_color = "#ffd9b3"
    operator_extra_links = (GatlingReportLink(),)

    def __init__(
        self, *, item: Any, conf: Any, aws_conn_id: str | None = "aws_default", **kwargs: Any
    ) -> None:
        # Gatling's own exit code decides; no code means "skip" (BashOperator's default is 99).
        kwargs.setdefault("skip_on_exit_code", None)
        kwargs.setdefault("append_env", True)
        super().__init__(bash_command=SET_DURING_EXECUTION, **kwargs)
        self.item = item
        self.conf = conf
        self.aws_conn_id = aws_conn_id
        self._auth_file: str | None = None
        self._tmp_dir: str | None = None  # AIPerf's TMPDIR (it leaves folders there)
        self._report_url = ""

    @cached_property
    def subprocess_hook(self) -> GatlingOutputHook:
        """The jar's output, its report line naming the report in the UI (airflow.gatling_output)."""
        return GatlingOutputHook(self._report_url)

    def execute(self, context: Context) -> Any:
        item = load_item_from_dict(self.item)
        decided = step_records.for_item(context, item.plan)
        if decided is not None:  # deploy decided the step: there is no endpoint to load
            why = "a quota refused" if step_records.is_refusal(decided) else "deploy failed for"
            self.log.info("round %s: %s this deployment: no load (%s)", item.plan.round, why, decided.error)
            return None
        sizing_conf = conf_from_dict(self.conf)
        results_dir = load_dir_of(self.conf, context["dag"].dag_id, context["run_id"])
        results_dir.mkdir(parents=True, exist_ok=True)  # on this host: another may have made it
        if is_llm(sizing_conf):
            return self._run_aiperf(context, sizing_conf, item, results_dir)
        command = gatling_step(sizing_conf, item, results_dir, self._host(sizing_conf), settings.java_opts())
        self.bash_command = bash_command(item, command)
        GatlingReportLink.persist(context, command)  # before it runs: a failed load links too
        self._report_url = ui_address(gatling_report_path(gatling_target(command)))
        wait_for_foreign_jar(command)
        try:
            return super().execute(context)
        finally:
            self._remove_auth_file()
            # Also after a failed load: its log and report are what the user reads to see why.
            upload_step_folder(command, self.conf, context)

    def _run_aiperf(
        self, context: Context, sizing_conf: SizingConf, item: LoadItem, results_dir: Path
    ) -> Any:
        # One folder per AIPerf: an endpoint of inference components runs one per model, together.
        models = len(item.plan.step.models_loaded) if item.plan.step.components else 1
        bases = [injector_base_name(item.output_base_name, j, models) for j in range(models)]
        step_dirs = [results_dir / llm_load.step_folder_name(base) for base in bases]
        GatlingReportLink.persist_folder(context, results_dir.name, item.output_base_name)
        url = runtime_host.runtime_url_of(self.aws_conn_id) if self.aws_conn_id else None
        try:
            try:
                commands = [
                    llm_load.prepare(sizing_conf, item, step_dir, url, slot)
                    for slot, step_dir in enumerate(step_dirs)
                ]
            except PromptsError as exc:  # a file that changed since validate: no retry helps
                raise AirflowFailException(f"AIPerf was not started: {exc}") from exc
            self.bash_command = shell_command(commands if models > 1 else commands[0])
            if not Path(commands[0].aiperf).is_file():
                self.log.error(
                    "AIPerf is not installed at %s: run `make setup` (stage 3c)", commands[0].aiperf
                )
            self._tmp_dir = tempfile.mkdtemp(prefix="sagemaker-sizing-aiperf-")
            return super().execute(context)
        finally:
            if self._tmp_dir:
                shutil.rmtree(self._tmp_dir, ignore_errors=True)
                self._tmp_dir = None
            # Also after a failed load: its console and log say why.
            for step_dir in step_dirs:
                llm_load.upload_step_dir(step_dir, self.conf, context)

    def _host(self, sizing_conf: SizingConf) -> str:
        conn_id = self.aws_conn_id
        return runtime_host.load_host(
            sizing_conf,
            resolved_jar_kind(sizing_conf),
            runtime_host.runtime_url_of(conn_id) if conn_id else None,
            runtime_host.runtime_tls_url_of(conn_id) if conn_id else None,
        )

    def on_kill(self) -> None:
        self._remove_auth_file()
        if self._tmp_dir:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)
        super().on_kill()

    def get_env(self, context: Context) -> dict[str, str]:
        env: dict[str, str] = super().get_env(context)
        conf = self.conf or {}
        sizing_conf = conf_from_dict(conf) if conf else None
        if sizing_conf is not None and is_llm(sizing_conf):
            return self._aiperf_env(env, sizing_conf.region, sizing_conf.iam_role_arn)
        if sizing_conf is None or resolved_jar_kind(sizing_conf) == PROJECT:
            return self._project_env(env, conf.get("region"), conf.get("iam_role_arn"))
        # Longest a step may run (its load, or the endurance phase), plus a margin.
        minutes = max(
            sizing_conf.duration_minutes,
            sizing_conf.endurance_ramp_minutes + sizing_conf.endurance_steady_state_minutes,
        )
        return self._sagemaker_gatling_env(
            env, sizing_conf.region, sizing_conf.iam_role_arn, int(minutes * 60) + 900
        )

    def _project_env(
        self, env: dict[str, str], region: str | None, iam_role_arn: str | None
    ) -> dict[str, str]:
        from sagemaker_sizing.adapters.aws_session import credentials as run_credentials

        credentials = run_credentials(self.aws_conn_id, region, iam_role_arn)
        env["AWS_ACCESS_KEY_ID"] = credentials.access_key
        env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_key
        if credentials.token:
            env["AWS_SESSION_TOKEN"] = credentials.token
        else:
            env.pop("AWS_SESSION_TOKEN", None)
        return env

    def _aiperf_env(self, env: dict[str, str], region: str, iam_role_arn: str | None) -> dict[str, str]:
        from sagemaker_sizing.adapters.aiperf_command import aiperf_environment

        creds = self._project_env({}, region, iam_role_arn)
        out = aiperf_environment(env, creds)
        if self._tmp_dir:
            out["TMPDIR"] = self._tmp_dir
        return out

    def _sagemaker_gatling_env(
        self, env: dict[str, str], region: str, iam_role_arn: str | None, duration_s: int
    ) -> dict[str, str]:
        from airflow.sdk.log import mask_secret

        from sagemaker_sizing.adapters.aws_session import temporary_credentials
        from sagemaker_sizing.adapters.gatling_command import auth_config

        credentials = temporary_credentials(self.aws_conn_id, region, iam_role_arn, duration_s)
        mask_secret(credentials.secret_key)
        mask_secret(credentials.token)
        # mkstemp: a new file only this user can read (0600), outside the results folder.
        fd, path = tempfile.mkstemp(prefix="sagemaker-sizing-auth-", suffix=".conf")
        self._auth_file = path
        with os.fdopen(fd, "w") as out:
            out.write(auth_config(credentials.access_key, credentials.secret_key, credentials.token))
        options = env.get("JAVA_TOOL_OPTIONS", "")
        env["JAVA_TOOL_OPTIONS"] = f"{options} -Dconfig.file={path}".strip()
        for name in _AWS_ENV:  # that jar ignores its environment: nothing to hand it there
            env.pop(name, None)
        return env

    def _remove_auth_file(self) -> None:
        if self._auth_file:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._auth_file)
            self._auth_file = None


def wait_for_foreign_jar(
    command: GatlingStep,
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Sleep until the start instant when the jar is not the project's; the seconds slept."""
    start_ms = command.start_at_epoch_ms
    if start_ms is None or Path(command.jar).resolve() == GATLING_JAR.resolve():
        return 0.0
    return wait_until(start_ms, now=now, sleep=sleep)


def wait_until(
    start_ms: int | None,
    *,
    now: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Sleep until a step's shared start instant (epoch ms; None: at once); the seconds slept."""
    if start_ms is None:
        return 0.0
    delay = start_ms / 1000.0 - now()
    if delay <= 0:
        log.warning("the step's start instant passed %.2f s ago: starting at once", -delay)
        return 0.0
    log.info("waiting %.2f s for the step's shared start instant", delay)
    sleep(delay)
    return delay


def upload_step_folder(command: GatlingStep, conf: Mapping[str, Any], context: Any) -> None:
    """Copy this injector's newest Gatling folder from the staging folder to the store (if any)."""
    run_dir = results_store.results_dir_of(conf, context["dag"].dag_id, context["run_id"])
    if results_store.is_local(run_dir):
        return
    staging, base = Path(command.results_dir), command.output_base_name
    folder = result_folder(staging, base)
    if folder is None:
        log.warning("Gatling wrote no folder %s-* under %s: nothing to upload", base, staging)
        return
    results_store.upload_folder(folder, run_dir / folder.name)
    # The store holds it now; the worker's disk does not keep every step of every run.
    shutil.rmtree(folder, ignore_errors=True)
