"""The sizing results inside the Airflow UI: a FastAPI app serving each run's results folder."""

from __future__ import annotations

# Where the plugin mounts the app on Airflow's API server, and so where extra links point.
URL_PREFIX = "/sagemaker-sizing"
