"""A local SageMaker whose AWS secret key is a recognisable test secret, and a ``java`` that records argv."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sagemaker_sizing.local import LocalSageMakerStatus, running_local_sagemaker

from tests.e2e.harness import MODEL

# Fixed, not random: pytest may import this conftest under two module names.
SECRET = "SIZING-TEST-SECRET-do-not-leak-4f1c9b7e20d3"


@pytest.fixture(scope="session")
def local_sagemaker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalSageMakerStatus]:
    state_dir = tmp_path_factory.mktemp("local-sagemaker-secret")
    # The local SageMaker keeps the credentials it signs with here; it uses a file that already exists.
    creds = state_dir / "credentials.json"
    creds.write_text(json.dumps({"aws_access_key_id": "LOCALSECRETTEST", "aws_secret_access_key": SECRET}))
    creds.chmod(0o600)
    with running_local_sagemaker(
        state_dir, models=(MODEL,), creating_delay=1.0, time_compression=30
    ) as local:
        assert local.aws_secret_access_key == SECRET
        yield local


@pytest.fixture
def java_shim(tmp_path: Path) -> tuple[Path, Path]:
    """A ``java`` first on PATH: appends its argv (one per line) and a digest of the secret key it
    got in its environment to files, then runs the real java with the same argv."""
    real = shutil.which("java")
    assert real, "java is needed for the Gatling load"
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    argv_log, env_log = tmp_path / "java-argv.log", tmp_path / "java-env.log"
    shim = shim_dir / "java"
    shim.write_text(
        "#!/bin/bash\n"
        f'printf "%s\\n" "$0" "$@" >> "{argv_log}"\n'
        f'printf "%s" "$AWS_SECRET_ACCESS_KEY" | sha256sum >> "{env_log}"\n'
        f'exec "{real}" "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return argv_log, env_log


@pytest.fixture
def java_auth_shim(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A ``java`` first on PATH for a sagemaker-gatling jar: records its argv, the mode and path of
    the config file JAVA_TOOL_OPTIONS names (``<mode> <path>``), and the ``auth.*`` values in it
    (one per line, for the test to look for them everywhere else), then runs the real java."""
    real = shutil.which("java")
    assert real, "java is needed for the Gatling load"
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    argv_log, file_log, values_log = (
        tmp_path / "java-argv.log",
        tmp_path / "auth-file.log",
        tmp_path / "auth.log",
    )
    shim = shim_dir / "java"
    shim.write_text(
        "#!/bin/bash\n"
        f'printf "%s\\n" "$0" "$@" >> "{argv_log}"\n'
        "cfg=$(printf '%s' \"$JAVA_TOOL_OPTIONS\" | sed -n 's/.*-Dconfig.file=\\([^ ]*\\).*/\\1/p')\n"
        'if [ -n "$cfg" ]; then\n'
        f'  stat -c "%a %n" "$cfg" >> "{file_log}"\n'
        f'  sed -n \'s/^auth\\.[A-Za-z]* = "\\(.*\\)"$/\\1/p\' "$cfg" >> "{values_log}"\n'
        "fi\n"
        f'exec "{real}" "$@"\n'
    )
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    return argv_log, file_log, values_log
