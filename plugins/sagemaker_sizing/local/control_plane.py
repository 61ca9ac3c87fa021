"""The control plane process: moto's server app, with our SageMaker patches, on loopback.

Run as ``python -m sagemaker_sizing.local.control_plane --port N [--creating-delay S]
[--quota-file F] [--realistic-deploys --time-compression C]``; ``servers.start`` starts it detached
and checks it answers.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from types import FrameType

LOG = logging.getLogger(__name__)


def serve(
    host: str,
    port: int,
    creating_delay_s: float,
    updating_delay_s: float | None,
    *,
    quota_file: str | None = None,
    realistic_compression: float | None = None,
) -> None:
    """``realistic_compression``: endpoints take the deploy-time model's times divided by it
    (``deploy_delays``); None: the fixed delays."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from sagemaker_sizing.local import moto_patches

    realistic = None
    if realistic_compression is not None:
        from sagemaker_sizing.core.timeline.deploy_times import load_deploy_times

        realistic = load_deploy_times().scaled(realistic_compression)
        LOG.info("realistic deploys: %s", realistic.source)
    moto_patches.apply(creating_delay_s, updating_delay_s, quota_file, realistic)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
    LOG.info("local SageMaker control plane (moto) on http://%s:%s", host, port)
    server.serve_forever()


def _exit(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sagemaker_sizing.local.control_plane")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--creating-delay", type=float, default=0.0)
    parser.add_argument("--updating-delay", type=float, default=None)
    parser.add_argument("--quota-file", default=None, help="JSON {type or 'Number of endpoints': N}")
    parser.add_argument("--realistic-deploys", action="store_true", help="the deploy-time model's times")
    parser.add_argument("--time-compression", type=float, default=1.0, help="divides the realistic times")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the runtime polls every second
    signal.signal(signal.SIGTERM, _exit)
    compression = args.time_compression if args.realistic_deploys else None
    serve(
        args.host,
        args.port,
        args.creating_delay,
        args.updating_delay,
        quota_file=args.quota_file,
        realistic_compression=compression,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
