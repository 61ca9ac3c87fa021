"""What a step and a run end as: requirements, failures, outcomes."""
