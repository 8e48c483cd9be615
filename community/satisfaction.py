"""三满意: the attitude, process and result answers callbacks record beside the overall
one (workorders.services.review.work_order_callback keeps them in the callback event's
payload as ``aspects``), read back as rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dashboards import rolled
from dashboards.models import DailyCallbacks
from dashboards.rollup import ASPECT_PARTS
from dashboards.selectors import Scope
from workorders.choices import Satisfaction
from workorders.models import Event
from workorders.scope import orders_q
from workorders.selectors import work_orders_visible_to
from workorders.transitions import REACHED_CALLBACKS

ASPECTS = (("attitude", _("态度满意")), ("process", _("过程满意")), ("result", _("结果满意")))
CALLBACK_KINDS = REACHED_CALLBACKS


@dataclass
class AspectFigure:
    key: str
    label: str
    satisfied: int  # satisfied + basically satisfied
    answered: int

    @property
    def percent(self) -> str:
        return f"{100 * self.satisfied / self.answered:.1f}%" if self.answered else "—"


def _aspect_counts(events) -> dict[str, int]:
    good = [Satisfaction.SATISFIED, Satisfaction.BASIC]
    answered = [*good, Satisfaction.UNSATISFIED]
    aggregates = {}
    for key, _label in ASPECTS:
        aggregates[f"{key}_n"] = Count("pk", filter=Q(**{f"payload__aspects__{key}__in": answered}))
        aggregates[f"{key}_ok"] = Count("pk", filter=Q(**{f"payload__aspects__{key}__in": good}))
    return events.aggregate(**aggregates)


def _callbacks(since: datetime, until: datetime):
    return Event.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=since, created_at__lt=until)


def three_satisfaction_figures(
    *, user: AbstractBaseUser, since: datetime, until: datetime, now: datetime | None = None
) -> list[AspectFigure]:
    """Per aspect: callbacks in [since, until) that answered it, and how many of those
    were satisfied or basically satisfied, within the user's scope. For whoever sees
    every order the whole days the dashboard's roll-up covers are read from it
    (DailyCallbacks' aspect columns: a month is about ten thousand rows, not a month of
    callback payloads) and the rest live; for others one query over the callbacks they
    may see."""
    if orders_q(user) is None:
        row = dict.fromkeys(ASPECT_PARTS, 0)
        sp = rolled.split(Scope(since, until), now or timezone.now())
        pieces = [_aspect_counts(_callbacks(piece.start, piece.end)) for piece in sp.live]
        if sp.rolled:
            days = DailyCallbacks.objects.filter(day__gte=sp.first, day__lt=sp.last)
            pieces.append(days.aggregate(**{k: Sum(k) for k in ASPECT_PARTS}))
        for piece in pieces:
            for k in ASPECT_PARTS:
                row[k] += piece[k] or 0
    else:
        row = _aspect_counts(_callbacks(since, until).filter(order__in=work_orders_visible_to(user)))
    return [AspectFigure(key, str(label), row[f"{key}_ok"], row[f"{key}_n"]) for key, label in ASPECTS]
