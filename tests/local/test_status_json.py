"""``local start|stop|status`` print the local SageMaker's status without its secret key."""

from __future__ import annotations

import json

from sagemaker_sizing.local.servers import LocalSageMakerStatus


def test_the_printed_status_names_the_key_id_but_never_the_secret() -> None:
    secret = "lGI_nSONEVXMuJyMOOyfYftMDPMzj1LX9ZAYiijt"
    status = LocalSageMakerStatus(
        control_plane_url="http://127.0.0.1:1",
        runtime_url="http://127.0.0.1:2",
        region="us-west-2",
        aws_access_key_id="LOCAL7CACBE7A96045B36",
        aws_secret_access_key=secret,
        control_plane_up=True,
        runtime_up=True,
        pids={},
        state_dir="/tmp/x",
    )
    printed = status.to_json()
    assert secret not in printed
    shown = json.loads(printed)
    assert shown["aws_access_key_id"] == "LOCAL7CACBE7A96045B36" and shown["runtime_up"] is True
    assert status.aws_secret_access_key == secret  # the object itself still carries it for its users
