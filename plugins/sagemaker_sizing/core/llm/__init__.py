"""LLM endpoints (issue 24): the prompts file (``prompts``)."""
