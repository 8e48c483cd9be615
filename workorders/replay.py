"""Rebuild an order's state from its events alone (the log is the source of truth)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import QuerySet

from workorders.models import Event, WorkOrder
from workorders.transitions import TRANSITIONS


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
        # Audit-only events (a reveal, the deadline scanner's marks) record what was seen
        # or done without changing the order: transition() does not bump the version
        # for them, so neither does the replay. Every other event is one version.
        rule = TRANSITIONS.get(event.kind)
        if rule is None or not rule.audit_only:
            state.version += 1
    return state


def replay_mismatches(orders: QuerySet[WorkOrder] | None = None) -> list[tuple[str, ReplayedState, ReplayedState]]:
    """(number, stored, replayed) for every order whose stored status, units or version
    differ from what its events rebuild; empty when the log explains every order."""
    qs = WorkOrder.objects.all() if orders is None else orders
    out = []
    for order in qs.order_by("pk").iterator(chunk_size=500):
        stored = ReplayedState(order.status, order.current_unit_id, order.lead_unit_id, order.version)
        rebuilt = replay(order.events.order_by("seq"))
        if rebuilt != stored:
            out.append((order.number, stored, rebuilt))
    return out
