"""The host each kind of load jar gets: the project's a URL, a sagemaker-gatling jar a bare host."""

from __future__ import annotations

from pathlib import Path

import pytest
from sagemaker_sizing.adapters.gatling_command import gatling_args
from sagemaker_sizing.airflow.runtime_host import load_host
from sagemaker_sizing.airflow.tasks.load import gatling_step
from sagemaker_sizing.core.conf.model import conf_from_dict, conf_to_dict, load_conf, resolved_jar_kind
from sagemaker_sizing.core.model import LoadItem
from sagemaker_sizing.core.serde import plan_item_from_dict
from sagemaker_sizing.paths import GATLING_JAR, STANDIN_JAR

from tests.core.test_jar_kind import conf

ITEM = {
    "round": 1,
    "lane": "ml-m5-large",
    "endpoint_name": "ep",
    "injectors": 1,
    "folder": "1700000000-ml.m5.large-1-10TPS",
    "step": {
        "instance_type": "ml.m5.large",
        "instance_count": 1,
        "steady_state_tps": 10,
        "steady_state_minutes": 1,
        "ramp_start_tps": 0,
        "ramp_minutes": 0,
        "phase": "load",
    },
}
PLAIN, TLS = "http://127.0.0.1:8080", "https://127.0.0.1:8443"


def host_of(jar: Path, tmp_path: Path, **kwargs: str | None) -> tuple[str, list[str]]:
    raw = conf(jar_file=str(jar), **{k: v for k, v in kwargs.items() if k == "host"})
    sizing_conf = conf_from_dict(conf_to_dict(load_conf(raw)))  # the tasks get the validate task's conf
    host = load_host(sizing_conf, resolved_jar_kind(sizing_conf), kwargs.get("runtime"), kwargs.get("tls"))
    item = LoadItem(plan_item_from_dict(ITEM))
    args = gatling_args(gatling_step(sizing_conf, item, tmp_path, host, ""))
    return next(a.split("=", 1)[1] for a in args if a.startswith("-Dsagemaker.host=")), args


@pytest.mark.parametrize(
    ("runtime", "tls", "host", "project", "foreign"),
    [
        (PLAIN, TLS, None, PLAIN, "127.0.0.1:8443"),  # the local SageMaker
        (
            None,
            None,
            None,
            "runtime.sagemaker.us-west-2.amazonaws.com",
            "runtime.sagemaker.us-west-2.amazonaws.com",
        ),
        (PLAIN, TLS, "https://my.host.example/", "https://my.host.example/", "my.host.example"),
    ],
)
def test_each_kind_gets_the_host_it_expects(
    tmp_path: Path, runtime: str | None, tls: str | None, host: str | None, project: str, foreign: str
) -> None:
    assert STANDIN_JAR.is_file() and GATLING_JAR.is_file(), "build the jars with `bash scripts/setup.sh`"
    got, args = host_of(GATLING_JAR, tmp_path, runtime=runtime, tls=tls, host=host)
    assert got == project
    assert any(a.startswith("-Dscenario.warmUpSeconds=") for a in args)
    assert "-Dfile.encoding=UTF-8" not in args
    got, args = host_of(STANDIN_JAR, tmp_path, runtime=runtime, tls=tls, host=host)
    assert got == foreign
    # perfsizesagemaker's command line for a foreign jar: no property of the project's jar...
    assert not any(a.startswith("-Dscenario.warmUpSeconds=") for a in args)
    # ...plus what intuit's genuine jar needs: UTF-8 payloads, its warm-up on the target, no analytics.
    assert "-Dfile.encoding=UTF-8" in args
    assert f"-Dgatling.http.warmUpUrl=https://{foreign}/" in args
    assert "-Dgatling.http.enableGA=false" in args
