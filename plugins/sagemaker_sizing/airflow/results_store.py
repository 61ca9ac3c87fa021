"""Where results live: a local folder (the default) or an object store shared by every worker.

``perfsize_results_dir`` (and ``results_roots``) is a path, relative to the project's root or
absolute, or an object-store URL such as ``s3://bucket/prefix``, opened with Airflow's
``ObjectStoragePath`` and the run's AWS connection (or the connection named in the URL,
``s3://<conn_id>@bucket/prefix``). On an object store, Gatling still writes to the local disk of
the worker that runs it (a staging folder), and the load task uploads its folder when the JVM is
done; parse downloads each injector's ``simulation.log``; the report is rendered locally and
uploaded. A local folder is used in place, exactly as before.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from airflow.sdk import ObjectStoragePath
    from typing_extensions import TypeIs

    StorePath = Path | ObjectStoragePath

log = logging.getLogger(__name__)


def is_object_store(location: str) -> bool:
    """``s3://...`` and the like; a plain path (or ``file://``) is a local folder."""
    scheme = urlsplit(str(location)).scheme
    return len(scheme) > 1 and scheme != "file"


def open_location(location: str, conn_id: str | None) -> StorePath:
    """The folder ``location`` names: a resolved local Path, or an ObjectStoragePath on the store.

    The connection gives the store's credentials and endpoint (the local SageMaker's moto server
    serves S3 too): ``conn_id`` unless the URL names its own (``s3://conn@bucket/prefix``).
    """
    from sagemaker_sizing.airflow import settings

    if not is_object_store(location):
        return settings.resolve(location)
    from airflow.sdk import ObjectStoragePath

    if "@" in urlsplit(location).netloc or conn_id is None:
        return ObjectStoragePath(location)
    return ObjectStoragePath(location, conn_id=conn_id)


def results_roots() -> list[StorePath]:
    """Folders the UI plugin serves run folders from: the deployment's results dir and the demo's.

    Each is a path or an object-store URL (``s3://bucket/prefix``, read with ``aws_conn_id``'s
    connection unless the URL names one), like ``perfsize_results_dir``
    (setting ``[sagemaker_sizing] results_roots``).
    """
    from sagemaker_sizing.airflow import settings

    parts = list(dict.fromkeys(part.strip() for part in settings.results_roots_setting().split(",")))
    roots = [open_location(part, settings.aws_conn_id()) for part in parts if part]
    return list(dict.fromkeys(roots))


def results_dir_of(conf: Mapping[str, Any], dag_id: str, run_id: str) -> StorePath:
    """The run's folder where its results are kept: local, or on the object store (shared)."""
    from sagemaker_sizing.airflow import settings
    from sagemaker_sizing.airflow.run_files import run_folder

    location = str(conf["perfsize_results_dir"])
    if location == settings.RESULTS_DIR_DEFAULT:
        location = settings.results_dir()  # the conf left it to the deployment
    return run_folder(open_location(location, settings.aws_conn_id()), dag_id, run_id)


def is_local(path: StorePath) -> TypeIs[Path]:
    return isinstance(path, Path) and not hasattr(path, "protocol")


def staging_folder(run_name: str) -> Path:
    """The local folder Gatling writes a run's steps to before they are uploaded (one per host)."""
    from sagemaker_sizing.airflow import settings

    return settings.staging_dir() / run_name


def files_under(folder: Path) -> Iterator[Path]:
    return (p for p in sorted(folder.rglob("*")) if p.is_file())


def upload_folder(local: Path, remote: StorePath) -> int:
    """Copy every file under ``local`` to ``remote`` (same relative paths); the number of files."""
    count = 0
    for path in files_under(local):
        target = remote / path.relative_to(local).as_posix()
        with path.open("rb") as source, target.open("wb") as sink:
            shutil.copyfileobj(source, sink, 1 << 20)
        count += 1
    log.info("uploaded %s files of %s to %s", count, local, remote)
    return count


def upload_file(local: Path, remote: StorePath) -> None:
    with local.open("rb") as source, remote.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)


def download_file(remote: StorePath, local: Path) -> Path:
    local.parent.mkdir(parents=True, exist_ok=True)
    with remote.open("rb") as source, local.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    return local


def local_copies(files: list[StorePath], scratch: Path) -> list[Path]:
    """Local paths of ``files``: themselves when local, else downloads into ``scratch``."""
    out: list[Path] = []
    for index, remote in enumerate(files):
        if is_local(remote):
            out.append(Path(str(remote)))
        else:
            out.append(download_file(remote, scratch / str(index) / remote.parent.name / remote.name))
    return out


def scratch_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="sagemaker-sizing-")


def write_text(path: StorePath, text: str) -> None:
    """A whole object at once (a put is atomic on S3); locally, through a temp file and rename."""
    if is_local(path):
        from sagemaker_sizing.core.files import write_atomically

        write_atomically(Path(str(path)), text)
        return
    path.write_text(text, encoding="utf-8")


def describe(path: Any) -> str:
    """``s3://bucket/key`` for a store path (no connection id), the path for a local one."""
    if is_local(path):
        return str(path)
    return f"{path.protocol}://{path.path}" if hasattr(path, "path") else str(path)
