"""``[core] hostname_callable`` for several Airflow workers on one machine (``make celery-demo``).

Airflow records the host that ran each task instance; workers sharing a machine would all report
its name. ``SAGEMAKER_SIZING_HOSTNAME`` names each worker (its ``--celery-hostname``); unset, the
machine's FQDN, as Airflow's default.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("SAGEMAKER_SIZING_HOSTNAME") or socket.getfqdn()
