"""Errors the workflow raises. Interfaces map them: InvalidInput → 400, NotAllowed →
403 (or 404 where the order is out of scope), InvalidTransition and Conflict → 409."""

from __future__ import annotations

from collections.abc import Mapping


class WorkflowError(Exception):
    code = "workflow_error"

    def __init__(self, message: str, **details) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidTransition(WorkflowError):
    code = "invalid_transition"


class NotAllowed(WorkflowError):
    code = "not_allowed"


class Conflict(WorkflowError):
    code = "conflict"


class InvalidInput(WorkflowError):
    code = "invalid_input"

    def __init__(self, errors: Mapping[str, list[str] | str]) -> None:
        self.errors = {k: [v] if isinstance(v, str) else list(v) for k, v in errors.items()}
        message = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in self.errors.items())
        super().__init__(message, errors=self.errors)
