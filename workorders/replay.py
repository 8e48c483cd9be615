"""Rebuild an order's state from its events alone (the log is the source of truth)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from workorders.models import Event


@dataclass
class ReplayedState:
    status: str | None = None
    current_unit_id: int | None = None
    lead_unit_id: int | None = None
    version: int = 0


def replay(events: Iterable[Event]) -> ReplayedState:
    state = ReplayedState()
    for event in events:
        if event.to_status:
            state.status = event.to_status
        units = (event.payload or {}).get("units")
        if units is not None:
            state.current_unit_id = units.get("current_unit")
            state.lead_unit_id = units.get("lead_unit")
        if event.kind != "reveal_caller":
            state.version += 1
    return state
