"""Operator extra links into the plugin's results app: a load step's Gatling report, the final report.

Airflow 3 computes each link on the worker when the task ends and keeps it in XCom; like the
Amazon provider's ``links/base_aws.py``, ``get_link`` only reads what the task persisted (the load
operator) or returned (the report task), so it never touches the file system.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import quote, urlsplit

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

from sagemaker_sizing.airflow.ui import URL_PREFIX

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context
    from airflow.sdk.types import TaskInstanceKey

    from sagemaker_sizing.adapters.gatling_command import GatlingStep


def ui_url(path: str) -> str:
    """A path of the results app, under the API server's base path (``[api] base_url``)."""
    from airflow.sdk.configuration import conf

    base = urlsplit(str(conf.get("api", "base_url", fallback="") or "")).path.rstrip("/")
    return f"{base}{URL_PREFIX}/{path}"


def ui_address(path: str) -> str:
    """``ui_url(path)`` as a whole URL when ``[api] base_url`` names the server (for a log line,
    where a path alone is no link); the path alone otherwise."""
    from airflow.sdk.configuration import conf

    base = str(conf.get("api", "base_url", fallback="") or "")
    parts = urlsplit(base)
    return f"{parts.scheme}://{parts.netloc}{ui_url(path)}" if parts.scheme and parts.netloc else ui_url(path)


def gatling_report_path(target: dict[str, str]) -> str:
    """The results app's path of a step's newest Gatling report (``gatling_target``'s run and step)."""
    return f"runs/{quote(target['run'], safe='')}/steps/{quote(target['step'], safe='')}"


def gatling_target(command: GatlingStep) -> dict[str, str]:
    """The run folder and step base name a Gatling command writes to (its results folder, named
    like the run's on every host, and its output base name)."""
    return {"run": PurePath(command.results_dir).name, "step": command.output_base_name}


class GatlingReportLink(BaseOperatorLink):
    """From a load task instance (each map index) to its step's Gatling HTML report."""

    name: ClassVar[str] = "Gatling report"
    key: ClassVar[str] = "sizing_gatling_target"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        target = XCom.get_value(key=self.key, ti_key=ti_key)
        if not isinstance(target, dict) or not target.get("run") or not target.get("step"):
            return ""
        return ui_url(gatling_report_path(target))

    @classmethod
    def persist(cls, context: Context, command: GatlingStep) -> None:
        """Keep where this load writes, before it runs, so even a failed load links to its folder."""
        context["ti"].xcom_push(key=cls.key, value=gatling_target(command))

    @classmethod
    def persist_folder(cls, context: Context, run: str, step: str) -> None:
        """The same for a load whose step folder is named beforehand (an LLM step's AIPerf)."""
        context["ti"].xcom_push(key=cls.key, value={"run": run, "step": step})


class FinalReportLink(BaseOperatorLink):
    """From the report task to the run's report.html (read from the task's return value)."""

    name: ClassVar[str] = "Sizing report"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        returned: Any = XCom.get_value(key="return_value", ti_key=ti_key)
        if not isinstance(returned, dict) or not returned.get("report"):
            return ""
        report = PurePath(str(returned["report"]))
        return ui_url(f"runs/{quote(report.parent.name, safe='')}/{quote(report.name)}")
