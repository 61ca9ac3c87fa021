"""Start, stop and inspect the local SageMaker: two detached processes recorded in a state dir.

``<state_dir>/state.json`` holds ports, pids and options; ``credentials.json`` the local test
credentials (random, made once per state dir, useless anywhere but here); ``*.log`` the logs.
Start and stop hold a lock on the state dir (``.lock``), so two callers never both start one.

A process that needs a local SageMaker of its own (the demo) claims a per-process state dir under
the default one (``claim_state_dir``: ``<name>-<pid>/`` with ``owner.json``); the next claimant
stops and removes the dirs whose owner is gone (``release_stale_state_dirs``), so a killed demo's
servers do not run on for ever, and two demos never stop or count each other's.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagemaker_sizing.local.tls import make_self_signed
from sagemaker_sizing.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from collections.abc import Iterator

LOG = logging.getLogger(__name__)
DEFAULT_STATE_DIR = PROJECT_ROOT / ".local-sagemaker"
DEFAULT_REGION = "us-west-2"
CONTROL_MODULE = "sagemaker_sizing.local.control_plane"
RUNTIME_MODULE = "sagemaker_sizing.local.runtime_server"
QUOTA_FILE = "quotas.json"
SEED_ROLE_ARN = "arn:aws:iam::123456789012:role/local-sagemaker"
SEED_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/local-model:latest"


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


def _state_dir(state_dir: str | Path | None) -> Path:
    return Path(state_dir) if state_dir else DEFAULT_STATE_DIR


def _credentials(directory: Path) -> dict[str, str]:
    path = directory / "credentials.json"
    if path.exists():
        return dict(json.loads(path.read_text()))
    creds = {
        "aws_access_key_id": "LOCAL" + secrets.token_hex(8).upper(),
        "aws_secret_access_key": secrets.token_urlsafe(30),
    }
    path.write_text(json.dumps(creds))
    path.chmod(0o600)
    return creds


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Exclusive lock on the state dir for a start or a stop (released when the process dies)."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _read_state(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / "state.json").read_text()))
    except (OSError, ValueError):
        return {}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pid_is_ours(pid: int, module: str) -> bool:
    """The pid is alive and still runs our module (not a recycled pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return module.encode() in cmdline


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1.0):
            return True
    except urllib.error.HTTPError:
        return True  # any HTTP answer means the server is up
    except (OSError, ValueError):
        return False


def status(state_dir: str | Path | None = None) -> LocalSageMakerStatus:
    directory = _state_dir(state_dir)
    directory.mkdir(parents=True, exist_ok=True)
    state = _read_state(directory)
    creds = _credentials(directory)
    pids = {k: int(v) for k, v in state.get("pids", {}).items()}
    control_url = state.get("control_plane_url")
    runtime_url = state.get("runtime_url")
    control_up = (
        bool(control_url)
        and _pid_is_ours(pids.get("control_plane", -1), CONTROL_MODULE)
        and _answers(f"{control_url}/moto-api/")
    )
    runtime_up = (
        bool(runtime_url)
        and _pid_is_ours(pids.get("runtime", -1), RUNTIME_MODULE)
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


def _spawn(module: str, args: list[str], log_path: Path, env: dict[str, str]) -> int:
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **env},
            start_new_session=True,  # survives the CLI that started it
        )
    return process.pid


def start(state_dir: str | Path | None = None, **options: Any) -> LocalSageMakerStatus:
    """Start both parts and wait until they answer (``_start_unlocked``'s options), holding the
    state dir's lock: two callers never both start one."""
    with _locked(_state_dir(state_dir)):
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
    profile: str | Path | None = None,
    region: str = DEFAULT_REGION,
    models: tuple[str, ...] = (),
    quotas: dict[str, int] | None = None,
    timeout_s: float = 30.0,
) -> LocalSageMakerStatus:
    """Start both parts and wait until they answer; when already up, change nothing (but the
    ``quotas`` given, which a running control plane reads on every deploy).

    ``quotas``: applied service quotas, ``{"ml.m5.xlarge": 0, "Number of endpoints": 3}``; every
    other quota is generous (``local.quotas``).
    """
    current = status(state_dir)
    if current.up:
        LOG.info("local SageMaker already running (%s)", current.control_plane_url)
        if quotas:
            set_quotas(quotas, state_dir)
        _seed(current, models)
        return current
    _stop_unlocked(_state_dir(state_dir), 10.0)  # half up: start clean
    directory = Path(current.state_dir)
    control_port = control_port or _free_port()
    runtime_port = runtime_port or _free_port()
    control_url = f"http://127.0.0.1:{control_port}"
    runtime_tls_port = runtime_tls_port or _free_port()
    runtime_url = f"http://127.0.0.1:{runtime_port}"
    runtime_tls_url = f"https://127.0.0.1:{runtime_tls_port}"
    cert, key = directory / "runtime-tls.crt", directory / "runtime-tls.key"
    make_self_signed(cert, key)
    creds_env = {
        "LOCAL_SAGEMAKER_ACCESS_KEY_ID": current.aws_access_key_id,
        "LOCAL_SAGEMAKER_SECRET_ACCESS_KEY": current.aws_secret_access_key,
    }
    quota_file = directory / QUOTA_FILE
    quota_file.write_text(json.dumps(quotas or {}))
    control_pid = _spawn(
        CONTROL_MODULE,
        [
            "--port",
            str(control_port),
            "--creating-delay",
            str(creating_delay),
            "--quota-file",
            str(quota_file),
        ],
        directory / "control_plane.log",
        creds_env,  # its STS makes temporary keys from the local secret (moto_patches)
    )
    runtime_args = [
        "--port",
        str(runtime_port),
        "--control-plane-url",
        control_url,
        "--region",
        region,
        "--time-compression",
        str(time_compression),
        "--allow-unsigned" if allow_unsigned else "--no-allow-unsigned",
        "--tls-port",
        str(runtime_tls_port),
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
    ]
    if profile:
        runtime_args += ["--profile", str(Path(profile).resolve())]
    runtime_pid = _spawn(RUNTIME_MODULE, runtime_args, directory / "runtime.log", creds_env)
    options = {
        "allow_unsigned": allow_unsigned,
        "time_compression": time_compression,
        "creating_delay": creating_delay,
        "profile": str(profile) if profile else None,
        "quotas": quotas or {},
    }
    state = {
        "control_plane_url": control_url,
        "runtime_url": runtime_url,
        "runtime_tls_url": runtime_tls_url,
        "region": region,
        "pids": {"control_plane": control_pid, "runtime": runtime_pid},
        "options": options,
    }
    (directory / "state.json").write_text(json.dumps(state, indent=2))
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        current = status(directory)
        if current.up:
            LOG.info("local SageMaker up: control plane %s, runtime %s", control_url, runtime_url)
            _seed(current, models)
            return current
        time.sleep(0.1)
    _stop_unlocked(directory, 10.0)
    raise RuntimeError(f"local SageMaker did not answer within {timeout_s:g} s; see logs in {directory}")


def stop(state_dir: str | Path | None = None, timeout_s: float = 10.0) -> LocalSageMakerStatus:
    """Stop both parts (only processes this state dir started); harmless when nothing runs."""
    directory = _state_dir(state_dir)
    with _locked(directory):
        _stop_unlocked(directory, timeout_s)
    return status(directory)


def _stop_unlocked(directory: Path, timeout_s: float) -> None:
    state = _read_state(directory)
    modules = {"control_plane": CONTROL_MODULE, "runtime": RUNTIME_MODULE}
    for part, pid in state.get("pids", {}).items():
        if _pid_is_ours(int(pid), modules.get(part, "sagemaker_sizing.local")):
            _terminate(int(pid), timeout_s)
    if state:
        state["pids"] = {}
        (directory / "state.json").write_text(json.dumps(state, indent=2))


def _terminate(pid: int, timeout_s: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it when it is our own child
        if not Path(f"/proc/{pid}").exists() or _is_zombie(pid):
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def set_quotas(quotas: dict[str, int], state_dir: str | Path | None = None) -> dict[str, int]:
    """Change the applied quotas of the local SageMaker (running or not): merged into its quota
    file, read on every CreateEndpoint / UpdateEndpoint and ListServiceQuotas. Returns them all."""
    path = _state_dir(state_dir) / QUOTA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        current = dict(json.loads(path.read_text()))
    except (OSError, ValueError):
        current = {}
    current.update(quotas)
    path.write_text(json.dumps(current))
    return current


def seed_model(name: str, state_dir: str | Path | None = None) -> str:
    """Create SageMaker model ``name`` on the control plane when missing; returns its ARN."""
    current = status(state_dir)
    if not current.control_plane_up:
        raise RuntimeError("local SageMaker is not running; start it first")
    return _seed(current, (name,))[0]


def _seed(current: LocalSageMakerStatus, models: tuple[str, ...]) -> list[str]:
    if not models:
        return []
    client = current.client("sagemaker")
    _seed_role(current)
    arns = []
    for name in models:
        try:
            arns.append(client.describe_model(ModelName=name)["ModelArn"])
        except client.exceptions.ClientError:
            created = client.create_model(
                ModelName=name, ExecutionRoleArn=SEED_ROLE_ARN, PrimaryContainer={"Image": SEED_IMAGE}
            )
            arns.append(created["ModelArn"])
            LOG.info("seeded model %s", name)
    return arns


def _seed_role(current: LocalSageMakerStatus) -> None:
    """The seeded models' execution role, so preflight finds it as it would on AWS."""
    iam = current.client("iam")
    name = SEED_ROLE_ARN.rsplit("/", 1)[-1]
    try:
        iam.get_role(RoleName=name)
    except iam.exceptions.NoSuchEntityException:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sagemaker.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))


OWNER_FILE = "owner.json"


def claim_state_dir(name: str, root: str | Path | None = None, **record: Any) -> Path:
    """A state dir of this process's own, ``<root>/<name>-<pid>/``, with ``owner.json`` (the pid,
    its start time, and ``record``): nobody else starts, stops or counts what runs there."""
    directory = _state_dir(root) / f"{name}-{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    update_owner_record(directory, pid=os.getpid(), started=_process_start(os.getpid()), **record)
    return directory


def update_owner_record(directory: Path, **record: Any) -> None:
    path = directory / OWNER_FILE
    owner = read_owner_record(directory) | record
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(owner, indent=2))
    tmp.replace(path)


def read_owner_record(directory: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((directory / OWNER_FILE).read_text()))
    except (OSError, ValueError):
        return {}


def _process_start(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (tells a recycled pid from its owner)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _owner_alive(owner: dict[str, Any]) -> bool:
    pid = owner.get("pid")
    if not isinstance(pid, int):
        return False
    started = _process_start(pid)
    return started is not None and started == owner.get("started") and not _is_zombie(pid)


def release_stale_state_dirs(name: str, root: str | Path | None = None) -> list[dict[str, Any]]:
    """Stop the servers of every ``<name>-<pid>`` state dir whose owner process is gone, remove the
    dir, and return their owner records (what the dead process had recorded, e.g. its runs)."""
    released = []
    for directory in sorted(_state_dir(root).glob(f"{name}-*")):
        owner = read_owner_record(directory)
        if not directory.is_dir() or _owner_alive(owner):
            continue
        with _locked(directory):
            _stop_unlocked(directory, 10.0)
        shutil.rmtree(directory, ignore_errors=True)
        released.append(owner)
    return released


class LocalSageMaker:
    """Object form of start/stop/status for one state dir, usable as a context manager."""

    def __init__(
        self, state_dir: str | Path | None = None, *, stop_timeout_s: float = 10.0, **options: Any
    ) -> None:
        self.state_dir = _state_dir(state_dir)
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
