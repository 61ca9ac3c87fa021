"""Adapters: the only code that talks to the outside (SageMaker, Application Auto Scaling, Gatling).

Import the submodules directly (``sagemaker_sizing.adapters.sagemaker``); nothing is imported here so
that Airflow's plugin scan of plugins/ stays cheap.
"""
