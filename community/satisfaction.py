"""三满意: the attitude, process and result answers callbacks record beside the overall
one (workorders.services.review.work_order_callback keeps them in the callback event's
payload as ``aspects``), read back as rates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

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


def three_satisfaction_figures(*, user: AbstractBaseUser, since: datetime, until: datetime) -> list[AspectFigure]:
    """Per aspect: callbacks in [since, until) that answered it, and how many of those
    were satisfied or basically satisfied, within the user's scope. One query."""
    good = [Satisfaction.SATISFIED, Satisfaction.BASIC]
    answered = [*good, Satisfaction.UNSATISFIED]
    aggregates = {}
    for key, _label in ASPECTS:
        aggregates[f"{key}_n"] = Count("pk", filter=Q(**{f"payload__aspects__{key}__in": answered}))
        aggregates[f"{key}_ok"] = Count("pk", filter=Q(**{f"payload__aspects__{key}__in": good}))
    events = Event.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=since, created_at__lt=until)
    if orders_q(user) is not None:
        # For whoever sees every order the filter is no filter, but PostgreSQL would
        # still probe the orders' key once per callback (issue 14: half the query).
        events = events.filter(order__in=work_orders_visible_to(user))
    row = events.aggregate(**aggregates)
    return [AspectFigure(key, str(label), row[f"{key}_ok"], row[f"{key}_n"]) for key, label in ASPECTS]
