"""The adapters' errors, apart from the code that raises them (so no module imports another for them)."""

from __future__ import annotations


class EndpointFailedError(RuntimeError):
    """The endpoint ended in a state other than InService (the message carries SageMaker's reason)."""


class ComponentFailedError(EndpointFailedError):
    """An inference component ended in a state other than InService (with SageMaker's reason)."""


class OwnershipError(RuntimeError):
    """A resource with the name we need exists but was not created by this run: we leave it alone."""


class TeardownError(RuntimeError):
    """Some resources could not be deleted; everything else was (the task should be retried)."""
