"""sagemaker-sizing: size SageMaker real-time endpoints by automated load testing.

Layers (see docs/architecture.md): ``core`` is plain Python (no Airflow, no boto3); ``local`` is the
embedded local SageMaker; ``adapters`` talk to the outside; ``airflow`` is the thin Airflow
surface. Nothing here does work at import time: Airflow imports every file under plugins/.
"""

__version__ = "0.1.0"
