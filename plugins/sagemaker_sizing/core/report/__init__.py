"""The final report: its HTML, its charts and how it writes numbers."""
