"""The one error the estimate raises for bad input: its message is the whole answer to the user."""

from __future__ import annotations


class EstimateError(ValueError):
    """Bad arguments, an unknown stack or region, or a missing measurement: one sentence saying what to fix."""
