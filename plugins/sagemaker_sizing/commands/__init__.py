"""Subcommands of the sagemaker-sizing console script, one module each."""
