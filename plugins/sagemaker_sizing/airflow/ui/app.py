"""The FastAPI app the plugin mounts on Airflow's API server (``/sagemaker-sizing``).

Routes (relative to the mount):

- ``/`` — an index of every run under the results roots;
- ``/runs/{run}/`` — the run's report.html; ``/runs/{run}/{path}`` — any file of the run folder
  (recommendation.json, a step's Gatling ``index.html`` and its js/css);
- ``/runs/{run}/steps/{base}`` — the newest Gatling report of a step (what the load task links to);
- ``/dags/{dag_id}/runs/{run_id}`` — a DAG run's report (the UI's "Sizing report" tab).

Unknown runs and files are 404; nothing outside a run folder is ever served.
"""

from __future__ import annotations

import functools
import mimetypes
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from sagemaker_sizing.adapters.gatling_command import result_folder
from sagemaker_sizing.airflow import results_store
from sagemaker_sizing.airflow.ui import results_files

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from sagemaker_sizing.airflow.results_store import StorePath

# Served files come from Gatling and our templates; never let a browser guess another type.
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}


def create_app(
    roots: Sequence[StorePath | str],
    *,
    dependencies: Sequence[Any] = (),
    run_states: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
) -> FastAPI:
    """An app serving the run folders under ``roots`` (searched in order): local folders, or
    object-store folders (``ObjectStoragePath``, see ``airflow.results_store``).

    ``dependencies`` guard every route (the plugin passes Airflow's "is authenticated" check);
    ``run_states`` gives each run folder's Airflow DAG run state (the plugin reads the metadata DB).
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
        states = run_states([r.name for r in runs]) if run_states and runs else {}
        html = _template("index.html.j2").render(
            runs=runs, states=states, roots=served, modified=_timestamp, base=str(request.url_for("index"))
        )
        return HTMLResponse(html, headers=_HEADERS)

    @app.get("/dags/{dag_id}/runs/{run_id}", name="dag_run", response_model=None)
    def dag_run(request: Request, dag_id: str, run_id: str) -> RedirectResponse | HTMLResponse:
        from sagemaker_sizing.airflow.run_files import run_folder

        name = run_folder(Path(), dag_id, run_id).name
        folder = results_files.find_run(served, name)
        if folder is None or results_files.find_file(folder, "report.html") is None:
            # The "Sizing report" tab of a run without a report yet: a page in words, not JSON.
            state = (run_states([name]) if run_states else {}).get(name)
            html = _template("no_report.html.j2").render(dag_id=dag_id, run_id=run_id, state=state)
            return HTMLResponse(html, status_code=404, headers=_HEADERS)
        return RedirectResponse(str(request.url_for("run_file", run=name, path="report.html")))

    @app.get("/runs/{run}/steps/{base}", name="step")
    def step(request: Request, run: str, base: str) -> RedirectResponse:
        folder = result_folder(_run_dir(served, run), base)
        if folder is None:
            raise HTTPException(404, f"no Gatling report for step {base} of run {run} (yet)")
        return RedirectResponse(str(request.url_for("run_file", run=run, path=f"{folder.name}/index.html")))

    @app.get("/runs/{run}/", name="run")
    def run_index(request: Request, run: str) -> RedirectResponse:
        _run_dir(served, run)
        return RedirectResponse(str(request.url_for("run_file", run=run, path="report.html")))

    @app.get("/runs/{run}/{path:path}", name="run_file")
    def run_file(run: str, path: str) -> Response:
        target = results_files.find_file(_run_dir(served, run), path)
        if target is None:
            raise HTTPException(404, f"no file {path!r} in run {run}")
        if results_store.is_local(target):
            return FileResponse(target, headers=_HEADERS)
        # From the object store: Gatling's files are small (the log stays a download for parse).
        media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Response(target.read_bytes(), media_type=media_type, headers=_HEADERS)

    return app


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
