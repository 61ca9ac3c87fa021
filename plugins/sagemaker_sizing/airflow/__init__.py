"""The Airflow surface: the DAG's shape (graph.py), its tasks (tasks/, one module each), the step
records they share, settings, the results store and the UI plugin."""
