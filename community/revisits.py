"""回头看: a sampled second callback some days after an order closed, to check the
problem stayed solved.

``revisit_scan`` (beat, hourly) makes the due revisits. Which closures are sampled is a
pure function of the order and its closing time (a hash against the category's
percentage), so a scan that runs twice, or two scans at once, pick the same ones; the
unique (order, closure) index keeps one row each. A scan that was down catches up on
closures up to LOOKBACK old. ``revisit_record`` writes the operator's result through the
workflow: satisfied or unreachable is an audit event on the closed order; unsatisfied
reopens it (revisit_reopen) for the unit that handled it, and counts against that unit."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from community.models import Revisit, RevisitPolicy, RevisitState
from workorders.choices import Status
from workorders.errors import Conflict, InvalidInput
from workorders.models import WorkOrder
from workorders.selectors import work_orders_visible_to
from workorders.workflow import Step, transition

LOOKBACK = timedelta(days=7)


def is_sampled(*, order_id: int, closed_at: datetime, percent: int) -> bool:
    """The same answer for the same closure every time it is asked."""
    digest = hashlib.sha256(f"{order_id}:{closed_at.isoformat()}".encode()).hexdigest()
    return int(digest[:8], 16) % 100 < percent


def revisit_scan(*, now: datetime | None = None) -> int:
    """Make the revisits that fell due; returns how many rows were new."""
    now = now or timezone.now()
    rows = []
    for policy in RevisitPolicy.objects.filter(is_active=True, sample_percent__gt=0):
        delay = timedelta(days=policy.delay_days)
        closures = (
            WorkOrder.objects.filter(
                category_id=policy.category_id,
                status=Status.CLOSED,
                lead_unit__isnull=False,  # handled by a unit (not answered on the call)
                closed_at__lte=now - delay,
                closed_at__gt=now - delay - LOOKBACK,
            )
            .exclude(Exists(Revisit.objects.filter(order=OuterRef("pk"), closed_at=OuterRef("closed_at"))))
            .values_list("pk", "closed_at", "lead_unit_id")
        )
        rows += [
            Revisit(order_id=pk, closed_at=closed_at, unit_id=unit_id, due_at=closed_at + delay)
            for pk, closed_at, unit_id in closures
            if is_sampled(order_id=pk, closed_at=closed_at, percent=policy.sample_percent)
        ]
    before = Revisit.objects.count()
    Revisit.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent scan made some: fine
    return Revisit.objects.count() - before if rows else 0


def revisits_due(*, user: AbstractBaseUser, now: datetime | None = None) -> QuerySet[Revisit]:
    """Pending revisits of orders the user may see, oldest first."""
    now = now or timezone.now()
    return (
        Revisit.objects.filter(state=RevisitState.PENDING, due_at__lte=now, order__in=work_orders_visible_to(user))
        .select_related("order", "order__category", "unit")
        .order_by("due_at", "pk")
    )


def revisit_record(
    *, revisit: Revisit | int, actor: AbstractBaseUser, outcome: str, note: str = "", now: datetime | None = None
) -> Revisit:
    """Record the second callback's result. Raises InvalidInput (outcome, note), Conflict
    (someone recorded it first, or the order changed since it closed) and the workflow's
    errors (the actor may not call back this order)."""
    pk = revisit.pk if isinstance(revisit, Revisit) else revisit
    if outcome not in {RevisitState.SATISFIED, RevisitState.UNSATISFIED, RevisitState.UNREACHABLE}:
        raise InvalidInput({"outcome": _("请选择回头看结果。")})
    now = now or timezone.now()
    with transaction.atomic():
        row = Revisit.objects.select_for_update().select_related("order").get(pk=pk)
        if row.state != RevisitState.PENDING:
            raise Conflict(
                _("工单 %(n)s 的回头看已由他人记录为「%(s)s」。")
                % {"n": row.order.number, "s": RevisitState(row.state).label},
                status=row.order.status,
                version=row.order.version,
            )
        payload = {"revisit": row.pk, "outcome": outcome}
        if outcome == RevisitState.UNSATISFIED:

            def reopen(o: WorkOrder, membership, at) -> Step:
                if o.closed_at != row.closed_at:
                    raise Conflict(_("工单 %(n)s 在此次办结后已有变化。") % {"n": o.number}, status=o.status)
                # Closed again later, it gets a new closing time (and may be sampled again).
                o.closed_at = None
                o.reopen_count += 1
                return Step(payload=payload)

            transition(order=row.order_id, kind="revisit_reopen", actor=actor, change=reopen, note=note, now=now)
        else:
            transition(
                order=row.order_id,
                kind="revisit_confirm",
                actor=actor,
                change=lambda o, m, at: Step(payload=payload),
                note=note,
                now=now,
            )
        row.state, row.note, row.answered_at, row.answered_by = outcome, note.strip(), now, actor
        row.save(update_fields=["state", "note", "answered_at", "answered_by"])
    return row


@dataclass
class RevisitFigures:
    closures: int  # orders of categories under a policy closed in the period
    revisits: int
    satisfied: int
    unsatisfied: int
    unreachable: int
    pending: int
    by_unit: list[tuple[str, int, int]]  # (unit name, revisits, unsatisfied), most unsatisfied first

    @property
    def rate(self) -> float | None:
        return self.revisits / self.closures if self.closures else None

    @property
    def satisfied_rate(self) -> float | None:
        answered = self.satisfied + self.unsatisfied
        return self.satisfied / answered if answered else None


def revisit_figures(*, user: AbstractBaseUser, since: datetime, until: datetime) -> RevisitFigures:
    """回头看 rate and results for closures in [since, until), within the user's scope.
    Closures are read from the revisits' own closing time and, for the denominator, from
    the close events, so an order reopened by its revisit still counts its first closure."""
    from workorders.models import Event

    orders = work_orders_visible_to(user)
    policies = RevisitPolicy.objects.filter(is_active=True).values("category_id")
    closures = (
        Event.objects.filter(
            to_status=Status.CLOSED,
            created_at__gte=since,
            created_at__lt=until,
            order__in=orders.filter(category_id__in=policies, lead_unit__isnull=False),
        )
        .exclude(from_status=Status.CLOSED)
        .count()
    )
    rows = Revisit.objects.filter(closed_at__gte=since, closed_at__lt=until, order__in=orders)
    counts = dict(rows.values_list("state").annotate(n=Count("pk")).order_by())
    by_unit = [
        (r["unit__name"], r["n"], r["bad"])
        for r in rows.values("unit__name")
        .annotate(n=Count("pk"), bad=Count("pk", filter=Q(state=RevisitState.UNSATISFIED)))
        .order_by("-bad", "-n", "unit__name")
    ]
    return RevisitFigures(
        closures=closures,
        revisits=sum(counts.values()),
        satisfied=counts.get(RevisitState.SATISFIED, 0),
        unsatisfied=counts.get(RevisitState.UNSATISFIED, 0),
        unreachable=counts.get(RevisitState.UNREACHABLE, 0),
        pending=counts.get(RevisitState.PENDING, 0),
        by_unit=by_unit,
    )
