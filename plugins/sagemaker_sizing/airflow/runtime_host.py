"""The SageMaker runtime host a load step sends to, from the conf and the AWS connection.

The conf's ``host`` first, else the connection's ``service_config.sagemaker-runtime`` endpoint
(the local SageMaker's), else the region's public runtime host, in the form the jar's kind
expects: the project's jar takes the plain URL; a sagemaker-gatling jar a bare host and, locally,
the runtime's TLS listener (``127.0.0.1:<tls port>``), since it always calls ``https://<host>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow.sdk.exceptions import AirflowFailException

from sagemaker_sizing.core.gatling.jar_kind import PROJECT

if TYPE_CHECKING:
    from sagemaker_sizing.core.conf.model import SizingConf


def load_host(
    sizing_conf: SizingConf, kind: str, runtime_url: str | None, runtime_tls_url: str | None
) -> str:
    """``-Dsagemaker.host`` for a jar of ``kind`` (see the module's docstring)."""
    if kind == PROJECT:
        return sizing_conf.host or runtime_url or sizing_conf.runtime_host
    if sizing_conf.host:
        return bare_host(sizing_conf.host)
    if runtime_tls_url:
        return bare_host(runtime_tls_url)
    if runtime_url:
        raise AirflowFailException(
            f"the {kind} jar calls https://<host>, but the connection's sagemaker-runtime endpoint "
            f"{runtime_url} has no TLS listener (tls_endpoint_url): start the local SageMaker again"
        )
    return sizing_conf.runtime_host


def bare_host(host: str) -> str:
    """``https://h:p/`` -> ``h:p`` (a sagemaker-gatling jar prefixes ``https://`` itself)."""
    return urlsplit(host).netloc if "://" in host else host.strip().rstrip("/")


def runtime_url_of(aws_conn_id: str) -> str | None:
    """The connection's ``service_config.sagemaker-runtime.endpoint_url`` (set for the local SageMaker).

    Read from the connection's extra as the Amazon provider reads it, without building a hook
    (boto3 is not needed to make a command). No such connection: the region's public host.
    """
    url = _runtime_service_config(aws_conn_id).get("endpoint_url")
    return str(url) if url else None


def runtime_tls_url_of(aws_conn_id: str) -> str | None:
    """The connection's ``service_config.sagemaker-runtime.tls_endpoint_url`` (local TLS listener)."""
    url = _runtime_service_config(aws_conn_id).get("tls_endpoint_url")
    return str(url) if url else None


def _runtime_service_config(aws_conn_id: str) -> dict[str, Any]:
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        extra = BaseHook.get_connection(aws_conn_id).extra_dejson
    except AirflowNotFoundException:
        return {}
    return dict((extra.get("service_config") or {}).get("sagemaker-runtime", {}))
