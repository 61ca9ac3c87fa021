"""The stand-in for intuit's sagemaker-gatling jar keeps that jar's contract, against the local
SageMaker's TLS listener: https + bare host, SigV4 with credentials from its ``auth.*`` config keys
only (a -Dconfig.file, as the load task writes one), never from its environment.

And it behaves as the genuine jar did when it was built and run here (docs/migration.md, "Checked
with intuit's genuine jar"): on the wire, and in what stops it. The jars run in ``jar_env``: no
LANG, a POSIX locale, as a service or a slim image has.
"""

from __future__ import annotations

import json
import ssl
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from conftest import jar_env, parse_results, run_java
from sagemaker_sizing.adapters.gatling_command import GatlingStep, ScenarioRequest, auth_config, gatling_args
from sagemaker_sizing.core.gatling.jar_kind import PROJECT, SAGEMAKER_GATLING, inspect_jar, jar_kind
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker
from sagemaker_sizing.local.sigv4 import SigV4Verifier
from sagemaker_sizing.local.tls import make_self_signed
from sagemaker_sizing.paths import STANDIN_JAR

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.gatling
MODEL = "standin-test-model"
ENDPOINT = "standin-ep"
# Two lines and a non-ASCII character: intuit's jar reads a payload with the JVM's default charset
# and joins its lines with nothing between them.
PAYLOAD = '{\n  "note": "h\u00e9llo",\n  "instances": [1, 2]\n}\n'.encode()
SENT = '{  "note": "h\u00e9llo",  "instances": [1, 2]}'.encode()


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    assert STANDIN_JAR.is_file(), f"{STANDIN_JAR} is missing: build it with `bash scripts/setup.sh`"
    with running_local_sagemaker(tmp_path_factory.mktemp("local-sagemaker"), models=(MODEL,)) as running:
        sagemaker = running.client("sagemaker")
        sagemaker.create_endpoint_config(
            EndpointConfigName=f"{ENDPOINT}-config",
            ProductionVariants=[
                {
                    "VariantName": "AllTraffic",
                    "ModelName": MODEL,
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-config")
        sagemaker.get_waiter("endpoint_in_service").wait(EndpointName=ENDPOINT, WaiterConfig={"Delay": 1})
        yield running


def session_credentials(local: LocalSageMakerStatus) -> dict[str, str]:
    """Temporary credentials from the local STS, as the load task gets them for this kind of jar."""
    answer = local.client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    return {k: answer[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}


def standin_step(
    host: str, region: str, tmp_path: Path, name: str, tps: int, seconds: int, **kw: Any
) -> GatlingStep:
    """The step as the load task renders it for a sagemaker-gatling jar (``kw`` overrides)."""
    payload = tmp_path / "payload.json"
    payload.write_bytes(PAYLOAD)
    fields: dict[str, Any] = dict(
        host=host,
        region=region,
        endpoint=ENDPOINT,
        steady_state_tps=tps,
        steady_state_minutes=Decimal(seconds) / 60,
        requests=[ScenarioRequest(str(payload), 100)],
        output_base_name=name,
        results_dir=tmp_path / "results",
        jar=STANDIN_JAR,
        warm_up_seconds=0,
        jar_kind=SAGEMAKER_GATLING,
    )
    fields.update(kw)
    return GatlingStep(**fields)


def run_standin(
    local: LocalSageMakerStatus,
    tmp_path: Path,
    name: str,
    env: dict[str, str],
    tps: int = 20,
    seconds: int = 5,
) -> dict[str, object]:
    assert local.runtime_tls_url is not None and local.runtime_tls_url.startswith("https://")
    # The bare host, as the DAG passes it.
    step = standin_step(
        local.runtime_tls_url.removeprefix("https://"), local.region, tmp_path, name, tps, seconds
    )
    done = run_java(gatling_args(step), jar_env(tmp_path, **env), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return parse_results(tmp_path / "results", name)


class Recorder(ThreadingHTTPServer):
    """A loopback HTTPS server answering 200 ``{}`` to anything, keeping each request."""

    def __init__(self, folder: Path) -> None:
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []
        super().__init__(("127.0.0.1", 0), _Record)
        make_self_signed(folder / "cert.pem", folder / "key.pem")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _Record(BaseHTTPRequestHandler):
    server: Recorder

    def _any(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.seen.append((self.command, self.path, headers, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_GET = do_POST = _any

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def recorder(tmp_path: Path) -> Iterator[Recorder]:
    server = Recorder(tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def auth_file(tmp_path: Path, access_key: str, secret_key: str, token: str) -> dict[str, str]:
    conf = tmp_path / "auth.conf"
    conf.write_text(auth_config(access_key, secret_key, token))
    return {"JAVA_TOOL_OPTIONS": f"-Dconfig.file={conf}"}


def test_the_stand_in_is_detected_as_a_sagemaker_gatling_jar() -> None:
    info = inspect_jar(STANDIN_JAR)
    assert info.main_class == "io.gatling.app.Gatling"
    assert info.has_scenario
    assert info.gatling_version is not None and info.gatling_version.startswith("3.")
    assert jar_kind(STANDIN_JAR) == SAGEMAKER_GATLING


def test_signed_with_its_auth_config_every_request_over_tls_succeeds(
    local: LocalSageMakerStatus, tmp_path: Path
) -> None:
    creds = session_credentials(local)
    env = auth_file(tmp_path, creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    # The two-line, non-ASCII payload, in a POSIX locale: the load command's -Dfile.encoding=UTF-8
    # keeps the jar reading it, and the runtime verifies the signature of what is really sent.
    result = run_standin(local, tmp_path, "signed", env)
    metrics = result["all"]
    assert metrics["count_total"] == 100  # type: ignore[index]
    assert metrics["count_fail"] == 0, result  # type: ignore[index]


def test_credentials_in_its_environment_are_ignored(local: LocalSageMakerStatus, tmp_path: Path) -> None:
    # The local keys in AWS_* would sign correctly; the jar must not read them, so it signs with
    # its placeholder auth.* values and the runtime refuses every request.
    result = run_standin(local, tmp_path, "env-only", local.aws_env(), tps=5, seconds=2)
    metrics = result["all"]
    assert metrics["count_total"] == 10  # type: ignore[index]
    assert metrics["count_success"] == 0, json.dumps(result)[:2000]  # type: ignore[index]


def test_on_the_wire_it_sends_what_intuits_jar_sends(recorder: Recorder, tmp_path: Path) -> None:
    # What intuit's jar (Gatling 3.2.0), run by the load command, sent to a recorder like this one.
    env = auth_file(tmp_path, "AKIDSTANDIN", "standin-secret", "standin-token")
    step = standin_step(recorder.host, "us-west-2", tmp_path, "wire", tps=2, seconds=2)
    done = run_java(gatling_args(step), jar_env(tmp_path, **env), cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:]
    # Gatling's warm-up went to the target's root (the load command's warmUpUrl), not to gatling.io.
    method, path, _, _ = recorder.seen[0]
    assert (method, path) == ("GET", "/")
    posts = recorder.seen[1:]
    assert len(posts) == 4
    verifier = SigV4Verifier("AKIDSTANDIN", "standin-secret")
    for method, path, headers, body in posts:
        assert (method, path) == ("POST", f"/endpoints/{ENDPOINT}/invocations")
        assert body == SENT  # its lines joined, in UTF-8
        # intuit's sets Content-Type "plain/text" and then .asJson: what is sent is JSON.
        assert headers["content-type"] == "application/json"
        assert headers["accept"] == "application/json"
        assert headers["x-amz-security-token"] == "standin-token"
        assert "SignedHeaders=host;x-amz-date;x-amz-security-token," in headers["authorization"]
        assert "x-amz-content-sha256" not in headers
        assert headers["tid"]
        assert verifier.verify(method, path, "", headers, body) is None


def test_without_the_load_commands_utf8_a_non_ascii_payload_stops_it(
    recorder: Recorder, tmp_path: Path
) -> None:
    # As intuit's jar did in a POSIX locale: its payload reader reports the undecodable byte and
    # the run crashes before any request. (Warm-up and analytics off here: no call to the internet.)
    env = auth_file(tmp_path, "AKIDSTANDIN", "standin-secret", "standin-token")
    quiet = ("-Dgatling.http.warmUpUrl=", "-Dgatling.data.enableAnalytics=false")
    step = standin_step(
        recorder.host, "us-west-2", tmp_path, "posix", tps=2, seconds=1, jar_kind=PROJECT, jvm_opts=quiet
    )
    done = run_java(gatling_args(step), jar_env(tmp_path, **env), cwd=tmp_path)
    assert done.returncode != 0
    assert "MalformedInputException" in done.stdout + done.stderr
    assert recorder.seen == []
