"""Start, stop and inspect the local SageMaker: two detached servers (the moto control plane and
the runtime emulator) recorded in a state dir (``state_files``).

Start and stop hold the state dir's lock, so two callers never both start one. ``status`` says
whether each server runs (its recorded pid still runs our module) and answers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local import processes, state_files
from sagemaker_sizing.local.seeding import seed_models
from sagemaker_sizing.local.spawning import (
    CONTROL_MODULE,
    RUNTIME_MODULE,
    free_port,
    is_free,
    recorded_port,
    spawn_control,
    spawn_runtime,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

LOG = logging.getLogger(__name__)
DEFAULT_REGION = "us-west-2"
# The module each server of state.json's "pids" runs (a pid running anything else is not ours).
SERVER_MODULES = {"control_plane": CONTROL_MODULE, "runtime": RUNTIME_MODULE}


@dataclass(frozen=True)
class LocalSageMakerStatus:
    control_plane_url: str | None
    runtime_url: str | None
    region: str
    aws_access_key_id: str
    aws_secret_access_key: str
    control_plane_up: bool
    runtime_up: bool
    pids: dict[str, int]
    state_dir: str
    options: dict[str, Any] = field(default_factory=dict)
    # The same runtime over TLS (self-signed certificate), for jars that always call https://<host>.
    runtime_tls_url: str | None = None

    @property
    def up(self) -> bool:
        return self.control_plane_up and self.runtime_up

    def to_json(self) -> str:
        """What ``local start|stop|status`` print: the secret stays in the state folder's
        credentials file (mode 0600), never on a terminal or in a log."""
        shown = asdict(self) | {"aws_secret_access_key": "(not shown: credentials.json of the state folder)"}
        return json.dumps(shown, indent=2, sort_keys=True)

    def aws_env(self) -> dict[str, str]:
        """Environment for boto3 / the Gatling jar: the local creds and region."""
        return {
            "AWS_ACCESS_KEY_ID": self.aws_access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.aws_secret_access_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
        }

    def airflow_connection(self) -> dict[str, Any]:
        """An Airflow AWS connection (JSON form of AIRFLOW_CONN_<ID>) pointing at the control plane."""
        return {
            "conn_type": "aws",
            "login": self.aws_access_key_id,
            "password": self.aws_secret_access_key,
            "extra": {"endpoint_url": self.control_plane_url, "region_name": self.region},
        }

    def client(self, service: str) -> Any:
        """A boto3 client on the control plane (``sagemaker``, ``application-autoscaling``)."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.control_plane_url,
            region_name=self.region,
            aws_access_key_id=self.aws_access_key_id,
            aws_secret_access_key=self.aws_secret_access_key,
        )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except (OSError, ValueError):
        return False


def status(state_dir: str | Path | None = None) -> LocalSageMakerStatus:
    directory = state_files.resolve_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    state = state_files.read_state(directory)
    creds = state_files.credentials(directory)
    pids = {k: int(v) for k, v in state.get("pids", {}).items()}
    control_url = state.get("control_plane_url")
    runtime_url = state.get("runtime_url")
    control_up = (
        bool(control_url)
        and processes.runs_module(pids.get("control_plane", -1), CONTROL_MODULE)
        and _answers(f"{control_url}/moto-api/")
    )
    runtime_up = (
        bool(runtime_url)
        and processes.runs_module(pids.get("runtime", -1), RUNTIME_MODULE)
        and _answers(f"{runtime_url}/ping")
    )
    return LocalSageMakerStatus(
        control_plane_url=control_url,
        runtime_url=runtime_url,
        region=state.get("region", DEFAULT_REGION),
        aws_access_key_id=creds["aws_access_key_id"],
        aws_secret_access_key=creds["aws_secret_access_key"],
        control_plane_up=control_up,
        runtime_up=runtime_up,
        pids=pids,
        state_dir=str(directory),
        options=state.get("options", {}),
        runtime_tls_url=state.get("runtime_tls_url"),
    )


# What each server is called where a user reads it, and its log file in the state dir.
SERVER_NAMES = {"control_plane": "control plane", "runtime": "runtime"}


@dataclass(frozen=True)
class DeadServer:
    """A server of the local SageMaker whose process is gone (killed, or crashed: see its log)."""

    part: str  # "control_plane" or "runtime"
    pid: int
    log: Path

    def __str__(self) -> str:
        name = SERVER_NAMES.get(self.part, self.part)
        return f"the local SageMaker's {name} (pid {self.pid}) died (its log: {self.log})"


def dead_servers(state_dir: str | Path | None = None) -> list[DeadServer]:
    """The servers started in ``state_dir`` whose process no longer runs (cheap: no request)."""
    directory = state_files.resolve_dir(state_dir)
    pids = state_files.read_state(directory).get("pids", {})
    return [
        DeadServer(part, int(pid), directory / f"{part}.log")
        for part, pid in pids.items()
        if not processes.runs_module(int(pid), SERVER_MODULES.get(part, "sagemaker_sizing.local"))
    ]


def start(state_dir: str | Path | None = None, **options: Any) -> LocalSageMakerStatus:
    """Start both parts and wait until they answer (``_start_unlocked``'s options), holding the
    state dir's lock: two callers never both start one."""
    with state_files.locked(state_files.resolve_dir(state_dir)):
        return _start_unlocked(state_dir, **options)


def _start_unlocked(
    state_dir: str | Path | None = None,
    *,
    control_port: int | None = None,
    runtime_port: int | None = None,
    runtime_tls_port: int | None = None,
    allow_unsigned: bool = False,
    time_compression: float = 1.0,
    creating_delay: float = 0.0,
    realistic_deploys: bool = False,
    profile: str | Path | None = None,
    llm_profile: str | Path | None = None,
    region: str = DEFAULT_REGION,
    models: tuple[str, ...] = (),
    llm_models: tuple[str, ...] = (),
    quotas: dict[str, int] | None = None,
    timeout_s: float = 30.0,
) -> LocalSageMakerStatus:
    """Start both parts and wait until they answer; when already up, change nothing (but the
    ``quotas`` given, which a running control plane reads on every deploy).

    Half up (a server died): the part still up keeps running, and what is started again listens
    on the ports the state dir recorded (when free and none is given), so whoever holds its URLs
    (a running ``make ui``) reaches it again. A runtime started again beside a running control
    plane keeps the options it had.

    ``quotas``: applied service quotas, ``{"ml.m5.xlarge": 0, "Number of endpoints": 3}``; every
    other quota is generous (``local.quotas``). ``models`` and ``llm_models`` (served as LLMs) are
    created when missing; ``llm_profile`` replaces resources/llm_profiles.json. ``realistic_deploys``:
    endpoints take what they take on AWS (the deploy-time model) divided by ``time_compression``
    instead of ``creating_delay`` (``local.deploy_delays``).
    """
    current = status(state_dir)
    if current.up:
        LOG.info("local SageMaker already running (%s)", current.control_plane_url)
        if quotas:
            state_files.set_quotas(quotas, state_dir)
        seed_models(current, models, llm_models)
        return current
    directory = Path(current.state_dir)
    recorded = state_files.read_state(directory)
    ports = {
        "control": control_port or recorded_port(recorded.get("control_plane_url")),
        "runtime": runtime_port or recorded_port(recorded.get("runtime_url")),
        "tls": runtime_tls_port or recorded_port(recorded.get("runtime_tls_url")),
    }
    options = {
        "allow_unsigned": allow_unsigned,
        "time_compression": time_compression,
        "creating_delay": creating_delay,
        "realistic_deploys": realistic_deploys,
        "profile": str(profile) if profile else None,
        "llm_profile": str(llm_profile) if llm_profile else None,
        "quotas": quotas or {},
    }
    creds_env = {
        "LOCAL_SAGEMAKER_ACCESS_KEY_ID": current.aws_access_key_id,
        "LOCAL_SAGEMAKER_SECRET_ACCESS_KEY": current.aws_secret_access_key,
    }
    pids = dict(current.pids)
    if current.control_plane_up:  # only the runtime died: it comes back beside it, as it was
        _stop_part(pids, "runtime")
        options = {**options, **recorded.get("options", {})}
        region = recorded.get("region", region)
    else:
        stop_unlocked(directory, 10.0)
    # A recorded port another process took meanwhile: a new one (whoever held the URL must ask again).
    kept = {"control"} if current.control_plane_up else set()
    ports = {part: port if port and (part in kept or is_free(port)) else None for part, port in ports.items()}
    if not current.control_plane_up:
        quota_file = directory / state_files.QUOTA_FILE
        quota_file.write_text(json.dumps(quotas or {}))
        ports["control"] = control = ports["control"] or free_port()
        pids["control_plane"] = spawn_control(
            directory,
            port=control,
            creating_delay=creating_delay,
            quota_file=quota_file,
            env=creds_env,
            realistic_deploys=realistic_deploys,
            time_compression=time_compression,
        )
    control_url = f"http://127.0.0.1:{ports['control']}"
    runtime_url = f"http://127.0.0.1:{ports['runtime'] or free_port()}"
    runtime_tls_url = f"https://127.0.0.1:{ports['tls'] or free_port()}"
    pids["runtime"] = spawn_runtime(
        directory,
        control_url=control_url,
        runtime_url=runtime_url,
        runtime_tls_url=runtime_tls_url,
        region=region,
        options=options,
        env=creds_env,
    )
    state = {
        "control_plane_url": control_url,
        "runtime_url": runtime_url,
        "runtime_tls_url": runtime_tls_url,
        "region": region,
        "pids": pids,
        "options": options,
    }
    state_files.write_state(directory, state)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        current = status(directory)
        if current.up:
            LOG.info("local SageMaker up: control plane %s, runtime %s", control_url, runtime_url)
            seed_models(current, models, llm_models)
            return current
        time.sleep(0.1)
    stop_unlocked(directory, 10.0)
    raise RuntimeError(f"local SageMaker did not answer within {timeout_s:g} s; see logs in {directory}")


def _stop_part(pids: dict[str, int], part: str) -> None:
    """Stop ``part``'s process if it still runs (it may hang without answering); forget its pid."""
    pid = pids.pop(part, -1)
    if processes.runs_module(pid, SERVER_MODULES[part]):
        processes.terminate(pid, 10.0)


def stop(state_dir: str | Path | None = None, timeout_s: float = 10.0) -> LocalSageMakerStatus:
    """Stop both parts (only processes this state dir started); harmless when nothing runs."""
    directory = state_files.resolve_dir(state_dir)
    with state_files.locked(directory):
        stop_unlocked(directory, timeout_s)
    return status(directory)


def stop_unlocked(directory: Path, timeout_s: float) -> None:
    """``stop`` for a caller that holds the state dir's lock."""
    state = state_files.read_state(directory)
    for part, pid in state.get("pids", {}).items():
        if processes.runs_module(int(pid), SERVER_MODULES.get(part, "sagemaker_sizing.local")):
            processes.terminate(int(pid), timeout_s)
    if state:
        state["pids"] = {}
        state_files.write_state(directory, state)


def seed_model(
    name: str, state_dir: str | Path | None = None, *, llm: bool = False, hf_model_id: str | None = None
) -> str:
    """Create SageMaker model ``name`` on the running control plane when missing (an LLM one, serving
    ``hf_model_id``, with ``llm``); returns its ARN."""
    current = status(state_dir)
    if not current.control_plane_up:
        raise RuntimeError("local SageMaker is not running; start it first")
    if llm:
        return seed_models(current, (), (name,), hf_model_id)[0]
    return seed_models(current, (name,))[0]


class LocalSageMaker:
    """Object form of start/stop/status for one state dir, usable as a context manager."""

    def __init__(
        self, state_dir: str | Path | None = None, *, stop_timeout_s: float = 10.0, **options: Any
    ) -> None:
        self.state_dir = state_files.resolve_dir(state_dir)
        self.options = options
        self.stop_timeout_s = stop_timeout_s  # per server: SIGTERM, then SIGKILL
        self._started_here = False

    def start(self) -> LocalSageMakerStatus:
        was_up = status(self.state_dir).up
        current = start(self.state_dir, **self.options)
        self._started_here = not was_up
        return current

    def stop(self) -> LocalSageMakerStatus:
        return stop(self.state_dir, self.stop_timeout_s)

    def status(self) -> LocalSageMakerStatus:
        return status(self.state_dir)

    def __enter__(self) -> LocalSageMakerStatus:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        if self._started_here:  # leave alone an instance somebody else started
            self.stop()


@contextlib.contextmanager
def running_local_sagemaker(
    state_dir: str | Path | None = None, **options: Any
) -> Iterator[LocalSageMakerStatus]:
    """``with running_local_sagemaker(tmp_path, time_compression=30) as local: ...``"""
    with LocalSageMaker(state_dir, **options) as current:
        yield current
