"""The sizing run's tasks, one module each (or per small family): its operator or ``@task`` body
and its own helpers. ``airflow/graph.py`` wires them into the DAG's shape."""
