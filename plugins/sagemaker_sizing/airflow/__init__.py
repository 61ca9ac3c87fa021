"""The Airflow surface: settings, thin operators, the tasks of a sizing run and the DAG builder."""
