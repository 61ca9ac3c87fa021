"""The FastAPI app the plugin mounts on Airflow's API server (``/sagemaker-sizing``).

Routes (relative to the mount):

- ``/`` — an index of every run under the results roots;
- ``/runs/{run}/`` — the run's report.html; ``/runs/{run}/{path}`` — any file of the run folder
  (recommendation.json, a step's Gatling ``index.html`` and its js/css);
- ``/runs/{run}/steps/{base}`` — the newest Gatling report of a step (what the load task links to),
  or for an LLM step its folder's listing (AIPerf's exports and logs: a folder without index.html
  is listed);
- ``/dags/{dag_id}/runs/{run_id}`` — a DAG run's report (the UI's "Sizing report" tab); a run
  Airflow does not know is 404, with a page naming the mix-up (a run folder's name is not a run id).

Unknown runs and files are 404; nothing outside a run folder is ever served.
"""

from __future__ import annotations

import functools
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from sagemaker_sizing.adapters.gatling_command import result_folder
from sagemaker_sizing.airflow import results_store
from sagemaker_sizing.airflow.ui import URL_PREFIX, results_files

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sagemaker_sizing.airflow.results_store import StorePath
    from sagemaker_sizing.airflow.ui.dag_runs import AirflowRun

# Served files come from Gatling and our templates; never let a browser guess another type.
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def create_app(
    roots: Sequence[StorePath | str],
    *,
    dependencies: Sequence[Any] = (),
    airflow_runs: Callable[[Sequence[str]], Mapping[str, AirflowRun]] | None = None,
) -> FastAPI:
    """An app serving the run folders under ``roots`` (searched in order): local folders, or
    object-store folders (``ObjectStoragePath``, see ``airflow.results_store``).

    ``dependencies`` guard every route (the plugin passes Airflow's "is authenticated" check);
    ``airflow_runs`` gives each run folder's DAG run in Airflow, its run id and state (the plugin
    reads the metadata DB); without it, the app knows nothing of Airflow's runs.
    """
    served: tuple[StorePath, ...] = tuple(Path(r) if isinstance(r, str) else r for r in roots)
    app = FastAPI(
        title="SageMaker sizing results",
        dependencies=list(dependencies),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.get("/", response_class=HTMLResponse, name="index")
    def index(request: Request) -> HTMLResponse:
        runs = results_files.list_runs(served)
        known = airflow_runs([r.name for r in runs]) if airflow_runs and runs else {}
        base = str(request.url_for("index"))
        html = _template("index.html.j2").render(
            runs=runs,
            airflow=known,
            roots=served,
            modified=_timestamp,
            base=base,
            run_page=functools.partial(_run_page, _airflow_root(base)),
        )
        return HTMLResponse(html, headers=_HEADERS)

    @app.get("/dags/{dag_id}/runs/{run_id}", name="dag_run", response_model=None)
    def dag_run(request: Request, dag_id: str, run_id: str) -> RedirectResponse | HTMLResponse:
        """The "Sizing report" tab of a DAG run: its report, or a page saying why there is none."""
        from sagemaker_sizing.airflow.run_files import run_folder

        name = run_folder(Path(), dag_id, run_id).name
        run = None
        if airflow_runs is not None:
            # Also the id as a folder name: the run key (the index's first column) is no run id.
            asked = [name, run_id] if run_id != name and results_files.is_run_name(run_id) else [name]
            found = airflow_runs(asked)
            run = found.get(name)
            if run is None or run.run_id != run_id:
                return _unknown_run(
                    request,
                    served,
                    dag_id=dag_id,
                    run_id=run_id,
                    known=found.get(run_id) or run,
                    folder_names=asked,
                )
        folder = results_files.find_run(served, name)
        if folder is None or results_files.find_file(folder, "report.html") is None:
            # A run without a report yet (queued, running, or failed before the report task): a
            # page in words. 200: the tab of a real run is not a failed request.
            html = _template("no_report.html.j2").render(
                dag_id=dag_id, run_id=run_id, state=run.state if run else None
            )
            return HTMLResponse(html, headers=_HEADERS)
        return RedirectResponse(str(request.url_for("run_file", run=name, path="report.html")))

    @app.get("/runs/{run}/steps/{base}", name="step")
    def step(request: Request, run: str, base: str) -> RedirectResponse:
        run_dir = _run_dir(served, run)
        folder = result_folder(run_dir, base)
        if folder is None:
            raise HTTPException(404, f"no report for step {base} of run {run} (yet)")
        # A Gatling step's HTML report; an LLM step's folder (AIPerf's files) has none: its listing.
        page = "index.html" if results_files.find_file(run_dir, f"{folder.name}/index.html") else ""
        return RedirectResponse(str(request.url_for("run_file", run=run, path=f"{folder.name}/{page}")))

    @app.get("/runs/{run}/", name="run")
    def run_index(request: Request, run: str) -> RedirectResponse:
        _run_dir(served, run)
        return RedirectResponse(str(request.url_for("run_file", run=run, path="report.html")))

    @app.get("/runs/{run}/{path:path}", name="run_file")
    def run_file(request: Request, run: str, path: str) -> Response:
        run_dir = _run_dir(served, run)
        target = results_files.find_file(run_dir, path)
        if target is None:
            return _folder_page(request, run_dir, run, path)
        if results_store.is_local(target):
            return FileResponse(target, headers=_HEADERS)
        # From the object store: Gatling's files are small (the log stays a download for parse).
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Response(target.read_bytes(), media_type=media_type, headers=_HEADERS)

    return app


def _folder_page(request: Request, run_dir: StorePath, run: str, path: str) -> HTMLResponse:
    """A folder of the run without index.html (an LLM step's: AIPerf's files), listed; else 404."""
    entries = results_files.list_folder(run_dir, path)
    if entries is None:
        raise HTTPException(404, f"no file {path!r} in run {run}")
    folder = path.removesuffix("/")
    links = [
        (name + ("/" if is_dir else ""), str(request.url_for("run_file", run=run, path=f"{folder}/{name}")))
        for name, is_dir in entries
    ]
    html = _template("folder.html.j2").render(run=run, folder=folder, links=links)
    return HTMLResponse(html, headers=_HEADERS)


def _unknown_run(
    request: Request,
    roots: Sequence[StorePath],
    *,
    dag_id: str,
    run_id: str,
    known: AirflowRun | None,
    folder_names: Sequence[str],
) -> HTMLResponse:
    """404 for the tab of a run Airflow does not know. Airflow's run page then shows only an empty
    red error bar above its tabs (its own request for the run failed): this page says why, and
    names the run id and the report when a results folder matches what was asked."""
    folder_name = next((n for n in reversed(folder_names) if results_files.find_run(roots, n)), None)
    folder = results_files.find_run(roots, folder_name) if folder_name else None
    report = None
    if folder is not None and results_files.find_file(folder, "report.html") is not None:
        report = str(request.url_for("run_file", run=folder_name, path="report.html"))
    html = _template("unknown_run.html.j2").render(
        dag_id=dag_id,
        run_id=run_id,
        known=known,
        folder_name=folder_name,
        report=report,
        index=str(request.url_for("index")),
    )
    return HTMLResponse(html, status_code=404, headers=_HEADERS)


def _airflow_root(index_url: str) -> str:
    """Airflow's UI root from this app's index URL (the app is mounted at ``URL_PREFIX`` under it)."""
    return index_url.removesuffix("/").removesuffix(URL_PREFIX)


def _run_page(root: str, dag_id: str, run_id: str) -> str:
    """The DAG run's page in Airflow's UI (``/dags/<dag_id>/runs/<run_id>``)."""
    return f"{root}/dags/{quote(dag_id, safe='')}/runs/{quote(run_id, safe='')}"


def _run_dir(roots: Sequence[StorePath], run: str) -> StorePath:
    folder = results_files.find_run(roots, run)
    if folder is None:
        raise HTTPException(404, f"no run {run!r}")
    return folder


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _template(name: str) -> jinja2.Template:
    return _environment().get_template(name)
