"""Where the project's files live, so every layer finds them the same way."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# plugins/sagemaker_sizing -> project root (an editable install keeps the sources in place).
PROJECT_ROOT = Path(os.environ.get("SAGEMAKER_SIZING_HOME", PACKAGE_DIR.parent.parent))
RESOURCES_DIR = PROJECT_ROOT / "resources"
INCLUDE_DIR = PROJECT_ROOT / "include"
GATLING_JAR = INCLUDE_DIR / "gatling" / "target" / "sagemaker-sizing-gatling.jar"
# A stand-in for intuit's sagemaker-gatling jar (include/gatling/standin): a foreign jar for tests and docs.
STANDIN_JAR = INCLUDE_DIR / "gatling" / "standin" / "target" / "sagemaker-gatling-standin.jar"
# NVIDIA AIPerf, the load engine of LLM steps, in an environment of its own (scripts/setup.sh,
# stage "aiperf"; the image builds the same layout): its executable and the offline tokenizer.
AIPERF_DIR = PROJECT_ROOT / ".aiperf"
AIPERF_BIN = AIPERF_DIR / "venv" / "bin" / "aiperf"
AIPERF_TOKENIZER = AIPERF_DIR / "tokenizer"
