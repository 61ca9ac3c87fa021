"""Starting the local SageMaker's two servers: each one's command line, and the ports they listen on
(the ones a state dir recorded, when free, so that whoever holds their URLs reaches them again)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from sagemaker_sizing.local import processes
from sagemaker_sizing.local.tls import make_self_signed

CONTROL_MODULE = "sagemaker_sizing.local.control_plane"
RUNTIME_MODULE = "sagemaker_sizing.local.runtime_server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn_control(
    directory: Path,
    *,
    port: int,
    creating_delay: float,
    quota_file: Path,
    env: dict[str, str],
    realistic_deploys: bool = False,
    time_compression: float = 1.0,
) -> int:
    """The control plane (moto's server) on ``port``; its STS makes temporary keys from the local
    secret in ``env`` (moto_patches). ``realistic_deploys``: AWS's deploy times divided by
    ``time_compression`` instead of ``creating_delay`` (``local.deploy_delays``)."""
    args = ["--port", str(port), "--creating-delay", str(creating_delay), "--quota-file", str(quota_file)]
    if realistic_deploys:
        args += ["--realistic-deploys", "--time-compression", str(time_compression)]
    return processes.spawn(CONTROL_MODULE, args, directory / "control_plane.log", env)


def spawn_runtime(
    directory: Path,
    *,
    control_url: str,
    runtime_url: str,
    runtime_tls_url: str,
    region: str,
    options: dict[str, Any],
    env: dict[str, str],
) -> int:
    """The runtime emulator on ``runtime_url`` and ``runtime_tls_url`` (a self-signed certificate)."""
    cert, key = directory / "runtime-tls.crt", directory / "runtime-tls.key"
    make_self_signed(cert, key)
    runtime_args = [
        "--port",
        str(recorded_port(runtime_url)),
        "--control-plane-url",
        control_url,
        "--region",
        region,
        "--time-compression",
        str(options["time_compression"]),
        "--allow-unsigned" if options["allow_unsigned"] else "--no-allow-unsigned",
        "--tls-port",
        str(recorded_port(runtime_tls_url)),
        "--tls-cert",
        str(cert),
        "--tls-key",
        str(key),
    ]
    if options.get("profile"):
        runtime_args += ["--profile", str(Path(options["profile"]).resolve())]
    if options.get("llm_profile"):
        runtime_args += ["--llm-profile", str(Path(options["llm_profile"]).resolve())]
    return processes.spawn(RUNTIME_MODULE, runtime_args, directory / "runtime.log", env)


def recorded_port(url: str | None) -> int | None:
    """The port of a URL the state dir recorded (``http://127.0.0.1:41409``)."""
    if not url:
        return None
    port = url.rsplit(":", 1)[-1].strip("/")
    return int(port) if port.isdigit() else None


def is_free(port: int) -> bool:
    """Nobody listens on ``port`` (connections of a dead server waiting out TIME_WAIT do not count:
    the servers bind with SO_REUSEADDR, as asyncio and werkzeug do)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
