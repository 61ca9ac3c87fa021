"""The Airflow plugin of sagemaker-sizing: sizing results inside the Airflow UI.

- ``fastapi_apps``: the results app (``sagemaker_sizing.airflow.ui.app``) at ``/sagemaker-sizing``
  on the API server, open to authenticated users only;
- ``external_views``: "Sizing runs" in the navigation, and a "Sizing report" tab on each DAG run;
- ``operator_extra_links``: the load tasks' "Gatling report" and the report task's "Sizing report".

Airflow imports this file in every component, so the app is built only when the API server asks
for it (the properties below), never at import time.
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin
from sagemaker_sizing.airflow.ui import URL_PREFIX  # a constant: the package imports nothing else


class SagemakerSizingPlugin(AirflowPlugin):
    name = "sagemaker_sizing"
    external_views = [
        {
            "name": "Sizing runs",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "sagemaker-sizing",
        },
        {
            "name": "Sizing report",
            "href": URL_PREFIX + "/dags/{DAG_ID}/runs/{RUN_ID}",
            "destination": "dag_run",
            "url_route": "sagemaker-sizing-report",
        },
    ]

    @property
    def fastapi_apps(self) -> list[dict[str, Any]]:  # type: ignore[override]
        from airflow.api_fastapi.core_api.security import requires_authenticated
        from fastapi import Depends
        from sagemaker_sizing.airflow import results_store
        from sagemaker_sizing.airflow.ui.app import create_app
        from sagemaker_sizing.airflow.ui.dag_runs import airflow_runs

        app = create_app(
            results_store.results_roots(),
            dependencies=[Depends(requires_authenticated())],
            airflow_runs=airflow_runs,
        )
        return [{"app": app, "url_prefix": URL_PREFIX, "name": "SageMaker sizing results"}]

    @property
    def operator_extra_links(self) -> list[Any]:  # type: ignore[override]
        from sagemaker_sizing.airflow.links import FinalReportLink, GatlingReportLink

        return [GatlingReportLink(), FinalReportLink()]
