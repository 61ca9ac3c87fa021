"""The decision core: plain Python, no Airflow, boto3 or FastAPI import anywhere below here."""
