"""LLM steps (workload "llm"): what AIPerf measured (``metrics``: ``LlmMetrics``), read from its
per-request export (``exports``), and the prompts a step sends (``prompts``)."""
