"""Gatling simulation.log parser and perfsizesagemaker's metrics (stdlib + numpy only)."""

from __future__ import annotations

from sagemaker_sizing.core.gatling.errors import GatlingLogError
from sagemaker_sizing.core.gatling.parser import detect_layout, parse_log, parse_logs

__all__ = ["GatlingLogError", "detect_layout", "parse_log", "parse_logs"]
