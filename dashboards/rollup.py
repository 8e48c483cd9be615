"""Keeping the daily roll-up (dashboards.models) exactly equal to the live figures.

A day's rows are always recomputed as a whole from the workorders tables (delete the
day, insert its GROUP BY), never incremented, so re-rolling a day is idempotent and a
day rolled after its last change holds exactly what the live selectors count for it.
What remains is knowing which days changed. The roll-up covers the days before
``RollupState.rolled_through`` (at most yesterday); later days are read live. A past
day's figures change only through an order's history, and every change to an order
goes through ``workorders.workflow.transition``/``create``, which write an ``Event``
in the same transaction. So ``rollup_refresh`` (the beat task):

1. reads the events it has not seen (by id, above the watermark, plus the ids that
   were missing below it last time: a transaction that took its id earlier but
   committed later shows up there);
2. for each order touched, marks every day the order has ever been counted on, before
   or after the change: its creation and reply days, the day of every one of its
   events (callbacks; earlier replies, since ``replied_at`` is the reply event's
   time), every due time its deadlines have had (each opening records its due time in
   the event's ``opened`` payload, each approved extension its ``proposed_due``; every
   timestamp in a payload is taken) and their current due days. A lead unit, street, grid or category that changed, an
   extension, a late callback, a reopen, a deadline closing late: all land on days in
   this set;
3. re-rolls those days that are already rolled, rolls the days that have ended since
   the last run, and moves the watermark.

The 考核's tables (DailyUnitCallbacks, DailyHandoffs, DailyPlaces) count every row:
what the assessment leaves out (approved exclusions, upheld appeals) is decided after the
fact and subtracted live by governance.figures.assessed_figures. DailyPlaces keeps apart
only the complaint categories it was rolled with (``RollupState.place_categories``); when
the admin changes them, the next run re-rolls DailyPlaces' days (``_places_again``).

Between a change to a past day and the next run the roll-up still shows that day as it
was (HOTLINE_ROLLUP_INTERVAL, 60 s by default; the board cache is 120 s anyway).
Writes that bypass the services (SQL loads, admin edits of derived fields) need
``manage.py rollup_rebuild``.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Case, Count, DurationField, F, IntegerField, Max, Min, Model, Q, Sum, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from dashboards.models import (
    DailyCallbacks,
    DailyCategory,
    DailyDeadlines,
    DailyDirect,
    DailyHandoffs,
    DailyOrders,
    DailyPlaces,
    DailyUnitCallbacks,
    RollupState,
    WeeklyPairs,
)
from dashboards.selectors import CALLBACK_KINDS, DIRECT_KINDS, SATISFIED
from workorders.choices import DeadlineState, Satisfaction, Stage, Status
from workorders.models import Deadline, Event, WorkOrder

# Ids below the watermark that were missing at the last run are looked at again: an
# insert that drew its id before a later one but committed after our run. Only the
# last HOLE_WINDOW ids are tracked (rolled-back inserts leave permanent holes).
HOLE_WINDOW = 2000
CHUNK_DAYS = 31  # a rebuild rolls this many days per transaction
TABLES = (
    DailyOrders,
    DailyCategory,
    DailyDeadlines,
    DailyCallbacks,
    DailyUnitCallbacks,
    DailyHandoffs,
    DailyPlaces,
    DailyDirect,
)  # by day; WeeklyPairs by week
# The events the 退单率 counts (governance.figures.return_parts): returns and dispatches.
HANDOFF_KINDS = ("assign", "reassign", "center_redispatch", "sub_dispatch", "return", "return_up")
# Not orders (governance.serving.NOT_ORDERS): left out of DailyPlaces.
NOT_ORDERS = (Status.REJECTED, Status.MERGED)


@dataclass
class RollupRun:
    days: int
    seconds: float
    rolled_through: date | None
    touched_orders: int = 0


def local_tz():
    return timezone.get_default_timezone()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_tz())


def local_day(value: datetime) -> date:
    return timezone.localtime(value, local_tz()).date()


def _state(lock: bool = False) -> RollupState:
    qs = RollupState.objects.select_for_update() if lock else RollupState.objects.all()
    state = qs.order_by("pk").first()
    if state is not None:
        return state
    # The first run: two beats starting at once both found no row and each created one,
    # then both rebuilt without a lock between them (every roll-up row twice). One row
    # by its key: the second insert waits for the first and reads its row instead.
    RollupState.objects.get_or_create(pk=1)
    return qs.order_by("pk").first()


def _ranges(days: set[date]) -> list[tuple[date, date]]:
    """Runs of consecutive days as [start, end) pairs, at most CHUNK_DAYS long."""
    out: list[tuple[date, date]] = []
    for day in sorted(days):
        if out and out[-1][1] == day and (day - out[-1][0]).days < CHUNK_DAYS:
            out[-1] = (out[-1][0], day + timedelta(days=1))
        else:
            out.append((day, day + timedelta(days=1)))
    return out


def _replace_days(model: type[Model], start: date, end: date, rows: list[Model]) -> None:
    """A roll-up table's rows of the days [start, end) replaced by ``rows`` (in the
    caller's transaction)."""
    model.objects.filter(day__gte=start, day__lt=end).delete()  # type: ignore[attr-defined]
    model.objects.bulk_create(rows, batch_size=2000)  # type: ignore[attr-defined]


def _roll_range(start: date, end: date, categories: list[int]) -> None:
    """Replace the rows of the days [start, end) by their GROUP BY from the live tables,
    every table in one transaction. Each query mirrors the live selector's filter for
    the same figure; ``categories``: the complaint categories DailyPlaces keeps apart."""
    lo, hi = day_start(start), day_start(end)
    with transaction.atomic():
        for roll in (
            _roll_orders,
            _roll_categories,
            _roll_deadlines,
            _roll_callbacks,
            _roll_unit_callbacks,
            _roll_handoffs,
            _roll_direct,
        ):
            roll(start, end, lo, hi)
        _roll_places(start, end, lo, hi, categories)


def _roll_orders(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyOrders: orders received and replied per day and place, with handling time."""
    orders: dict[tuple, list[int]] = {}
    keys = ("day", "lead_unit_id", "street_id", "grid_id")
    received = (
        WorkOrder.objects.filter(created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at", tzinfo=local_tz()))
        .values(*keys)
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in received:
        orders.setdefault(tuple(r[k] for k in keys), [0, 0, 0])[0] = r["n"]
    replied = (
        WorkOrder.objects.filter(replied_at__gte=lo, replied_at__lt=hi)
        .annotate(day=TruncDate("replied_at", tzinfo=local_tz()))
        .values(*keys)
        .annotate(n=Count("id"), d=Sum(F("replied_at") - F("created_at"), output_field=DurationField()))
        .order_by()
    )
    for r in replied:
        row = orders.setdefault(tuple(r[k] for k in keys), [0, 0, 0])
        row[1], row[2] = r["n"], (r["d"] or timedelta(0)) // timedelta(microseconds=1)
    _replace_days(
        DailyOrders,
        start,
        end,
        [
            DailyOrders(
                day=k[0],
                lead_unit_id=k[1],
                street_id=k[2],
                grid_id=k[3],
                received=v[0],
                replied=v[1],
                handling_us=v[2],
            )
            for k, v in orders.items()
        ],
    )


def _roll_categories(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyCategory: orders received per day, place and category."""
    categories = (
        WorkOrder.objects.filter(created_at__gte=lo, created_at__lt=hi, category__isnull=False)
        .annotate(day=TruncDate("created_at", tzinfo=local_tz()))
        .values("day", "lead_unit_id", "street_id", "category_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    _replace_days(
        DailyCategory,
        start,
        end,
        [
            DailyCategory(
                day=r["day"],
                lead_unit_id=r["lead_unit_id"],
                street_id=r["street_id"],
                category_id=r["category_id"],
                received=r["n"],
            )
            for r in categories
        ],
    )


def _roll_deadlines(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyDeadlines: sign and handle deadlines due per day and unit, and how many were met."""
    # A day before rolled_through is over, so "open and past due" is simply "open".
    deadlines = (
        Deadline.objects.filter(
            stage__in=[Stage.SIGN, Stage.HANDLE],
            due_at__gte=lo,
            due_at__lt=hi,
            state__in=[DeadlineState.MET, DeadlineState.BREACHED, DeadlineState.OPEN],
        )
        .annotate(day=TruncDate("due_at", tzinfo=local_tz()))
        .values("day", "unit_id", "stage")
        .annotate(due=Count("id"), met=Count("id", filter=Q(state=DeadlineState.MET)))
        .order_by()
    )
    _replace_days(
        DailyDeadlines,
        start,
        end,
        [
            DailyDeadlines(day=r["day"], unit_id=r["unit_id"], stage=r["stage"], due=r["due"], met=r["met"])
            for r in deadlines
        ],
    )


def _roll_callbacks(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyCallbacks: callbacks made per day, unit and category, solved, satisfied and reopened."""
    # The ranking credits the lead unit in the event's payload when it has the key
    # (selectors.unit_ranking), else the order's current lead unit.
    rank = Case(
        When(
            payload__has_key="lead_unit",
            then=Cast(KeyTextTransform("lead_unit", "payload"), IntegerField()),
        ),
        default=F("order__lead_unit_id"),
        output_field=IntegerField(),
    )
    callbacks = (
        Event.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=lo, created_at__lt=hi)
        .annotate(
            day=TruncDate("created_at", tzinfo=local_tz()),
            lu=F("order__lead_unit_id"),
            st=F("order__street_id"),
            cat=F("order__category_id"),
        )
        .annotate(rank=rank)
        .values("day", "lu", "st", "rank", "cat")
        .annotate(
            made=Count("id"),
            solved=Count("id", filter=Q(payload__resolution="solved")),
            satisfied=Count("id", filter=Q(payload__satisfaction__in=list(SATISFIED))),
            reopened=Count("id", filter=Q(kind="reopen")),
            **_aspect_counts(),
        )
        .order_by()
    )
    _replace_days(
        DailyCallbacks,
        start,
        end,
        [
            DailyCallbacks(
                day=r["day"],
                lead_unit_id=r["lu"],
                street_id=r["st"],
                rank_unit_id=r["rank"],
                category_id=r["cat"],
                made=r["made"],
                solved=r["solved"],
                satisfied=r["satisfied"],
                reopened=r["reopened"],
                **{k: r[k] for k in ASPECT_PARTS},
            )
            for r in callbacks
        ],
    )


def _callback_counts() -> dict:
    return {
        "made": Count("id"),
        "solved": Count("id", filter=Q(payload__resolution="solved")),
        "satisfied": Count("id", filter=Q(payload__satisfaction__in=list(SATISFIED))),
        "reopened": Count("id", filter=Q(kind="reopen")),
    }


def _payload_int(key: str):
    return Cast(KeyTextTransform(key, "payload"), IntegerField())


ASPECTS = ("attitude", "process", "result")  # 三满意 (community.satisfaction)
ASPECT_PARTS = tuple(f"{a}_{p}" for a in ASPECTS for p in ("n", "ok"))


def _aspect_counts() -> dict:
    """Per 三满意 aspect: callbacks that answered it, and the satisfied or basic ones."""
    good = list(SATISFIED)
    answered = [*good, Satisfaction.UNSATISFIED]
    out = {}
    for aspect in ASPECTS:
        out[f"{aspect}_n"] = Count("id", filter=Q(**{f"payload__aspects__{aspect}__in": answered}))
        out[f"{aspect}_ok"] = Count("id", filter=Q(**{f"payload__aspects__{aspect}__in": good}))
    return out


def _roll_direct(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyDirect: calls logged and answered on the spot per day and place."""
    rows = (
        Event.objects.filter(kind__in=DIRECT_KINDS, created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at", tzinfo=local_tz()), lu=F("order__lead_unit_id"), st=F("order__street_id"))
        .values("day", "lu", "st")
        .annotate(
            calls=Count("id", filter=Q(kind="log_call")),
            answered=Count("id", filter=Q(kind="answer_now")),
            from_article=Count("id", filter=Q(kind="answer_now", payload__has_key="article")),
        )
        .order_by()
    )
    _replace_days(
        DailyDirect,
        start,
        end,
        [
            DailyDirect(
                day=r["day"],
                lead_unit_id=r["lu"],
                street_id=r["st"],
                calls=r["calls"],
                answered=r["answered"],
                from_article=r["from_article"],
            )
            for r in rows
        ],
    )


def _roll_unit_callbacks(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyUnitCallbacks: callbacks per day and the unit the order sits with now."""
    rows = (
        Event.objects.filter(kind__in=CALLBACK_KINDS, created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at", tzinfo=local_tz()), unit=F("order__current_unit_id"))
        .values("day", "unit")
        .annotate(**_callback_counts())
        .order_by()
    )
    _replace_days(
        DailyUnitCallbacks,
        start,
        end,
        [
            DailyUnitCallbacks(
                day=r["day"],
                unit_id=r["unit"],
                made=r["made"],
                solved=r["solved"],
                satisfied=r["satisfied"],
                reopened=r["reopened"],
            )
            for r in rows
        ],
    )


def handoff_unit():
    """The unit a return or dispatch event counts for (governance.figures.return_parts)."""
    return Case(
        When(kind="return_up", then=F("actor_unit_id")),
        When(kind="return", then=_payload_int("from_unit")),
        default=_payload_int("unit"),
        output_field=IntegerField(),
    )


def _roll_handoffs(start: date, end: date, lo: datetime, hi: datetime) -> None:
    """DailyHandoffs: returns and dispatches per day, kind and the unit they count for."""
    rows = (
        Event.objects.filter(kind__in=HANDOFF_KINDS, created_at__gte=lo, created_at__lt=hi)
        .annotate(day=TruncDate("created_at", tzinfo=local_tz()), unit=handoff_unit())
        .values("day", "kind", "unit")
        .annotate(n=Count("id"))
        .order_by()
    )
    _replace_days(
        DailyHandoffs,
        start,
        end,
        [DailyHandoffs(day=r["day"], kind=r["kind"], unit_id=r["unit"], n=r["n"]) for r in rows],
    )


def place_categories() -> list[int]:
    """The complaint categories now (governance.ComplaintCategory), sorted."""
    from governance.models import ComplaintCategory  # governance reads the roll-up, not the reverse

    return sorted(set(ComplaintCategory.objects.values_list("category_id", flat=True)))


def complaint_category(categories: list[int]):
    """The order's category if it is one of ``categories``, else null."""
    return Case(When(category_id__in=categories, then=F("category_id")), default=None, output_field=IntegerField())


def _roll_places(start: date, end: date, lo: datetime, hi: datetime, categories: list[int]) -> None:
    """DailyPlaces: orders received per day, community, grid and complaint category."""
    rows = (
        WorkOrder.objects.filter(created_at__gte=lo, created_at__lt=hi, community_id__isnull=False)
        .exclude(status__in=NOT_ORDERS)
        .annotate(day=TruncDate("created_at", tzinfo=local_tz()), complaint=complaint_category(categories))
        .values("day", "community_id", "grid_id", "complaint")
        .annotate(n=Count("id"))
        .order_by()
    )
    _replace_days(
        DailyPlaces,
        start,
        end,
        [
            DailyPlaces(
                day=r["day"],
                community_id=r["community_id"],
                grid_id=r["grid_id"],
                category_id=r["complaint"],
                received=r["n"],
            )
            for r in rows
        ],
    )


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _roll_weeks(days: set[date], rolled_through: date) -> None:
    """Re-roll the (grid, category) pairs of every whole week that contains one of
    ``days`` and ends before ``rolled_through``; partial weeks have no rows."""
    for week in sorted({monday(d) for d in days}):
        end = week + timedelta(days=7)
        if end > rolled_through:
            continue
        rows = (
            WorkOrder.objects.filter(
                created_at__gte=day_start(week),
                created_at__lt=day_start(end),
                grid__isnull=False,
                category__isnull=False,
            )
            .values("lead_unit_id", "street_id", "grid_id", "category_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        with transaction.atomic():
            WeeklyPairs.objects.filter(week=week).delete()
            WeeklyPairs.objects.bulk_create(
                [
                    WeeklyPairs(
                        week=week,
                        lead_unit_id=r["lead_unit_id"],
                        street_id=r["street_id"],
                        grid_id=r["grid_id"],
                        category_id=r["category_id"],
                        received=r["n"],
                    )
                    for r in rows
                ],
                batch_size=2000,
            )


def _times_in(payload) -> list[datetime]:
    """Every ISO timestamp anywhere in an event's payload: the due times a transition
    opened (``opened``), an approved extension's ``proposed_due``, and whatever due time
    a later change records, so that the day a deadline *used* to fall due is re-rolled
    too."""
    out: list[datetime] = []
    stack = [payload]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and 19 <= len(value) <= 40 and value[10:11] == "T":
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                continue
            if parsed.tzinfo is not None:
                out.append(parsed)
    return out


def days_touched_by(order_ids: set[int]) -> set[date]:
    """Every local day on which any of these orders is or ever was counted."""
    stamps: list[datetime | None] = []
    ids = sorted(order_ids)
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        for created, replied in WorkOrder.objects.filter(pk__in=chunk).values_list("created_at", "replied_at"):
            stamps += [created, replied]
        for created, payload in Event.objects.filter(order_id__in=chunk).values_list("created_at", "payload"):
            stamps.append(created)
            stamps += _times_in(payload)
        stamps += Deadline.objects.filter(order_id__in=chunk).values_list("due_at", flat=True)
    return {local_day(s) for s in stamps if s is not None}


def _roll_days(days: set[date], categories: list[int]) -> None:
    for start, end in _ranges(days):
        _roll_range(start, end, categories)


def rollup_rebuild(*, start: date | None = None, now: datetime | None = None) -> RollupRun:
    """(Re)build the roll-up from ``start`` (default: the first order's day) up to
    yesterday, and mark it rolled through today. Used after deploy and after loads
    that bypass the services; safe to run while the beat task runs (it takes the
    state row's lock)."""
    t0 = clock.perf_counter()
    today = local_day(now or timezone.now())
    with transaction.atomic():
        state = _state(lock=True)
        top = Event.objects.aggregate(m=Max("id"))["m"] or 0
        first = WorkOrder.objects.aggregate(m=Min("created_at"))["m"]
        earliest = local_day(first) if first else today
        if start is None or state.rolled_through is None or start < earliest:
            start = earliest
        elif start > state.rolled_through:
            start = state.rolled_through  # no gap between the rolled days and the new ones
        # No facts before the first order, none rolled for today: clear leftovers.
        for model in TABLES:
            model.objects.filter(Q(day__lt=earliest) | Q(day__gte=today)).delete()
        WeeklyPairs.objects.filter(Q(week__lt=monday(earliest)) | Q(week__gt=today - timedelta(days=7))).delete()
        categories = place_categories()
        if start > earliest and state.rolled_through is not None:
            # The days before ``start`` keep their rows: re-rolled if the set changed.
            _places_again(state, categories, earliest, start)
        days = {start + timedelta(days=i) for i in range((today - start).days)}
        _roll_days(days, categories)
        _roll_weeks(days, today)
        state.rolled_through = today
        state.last_event_id = max(top, state.last_event_id)
        state.holes = _holes(top)
        state.place_categories = categories
        return _finish(state, t0, len(days))


def _places_again(state: RollupState, categories: list[int], earliest: date | None = None, until=None) -> None:
    """When the complaint categories differ from those DailyPlaces was rolled with,
    re-roll its days before ``until`` (default: every rolled day) with ``categories``
    (one pass over those days' orders, a month per query)."""
    if categories == list(state.place_categories or []):
        return
    until = until or state.rolled_through
    if earliest is None:
        first = WorkOrder.objects.aggregate(m=Min("created_at"))["m"]
        earliest = local_day(first) if first else until
    day = earliest
    while day < until:
        end = min(day + timedelta(days=CHUNK_DAYS), until)
        _roll_places(day, end, day_start(day), day_start(end), categories)
        day = end


def _holes(top: int) -> list[int]:
    lo = max(1, top - HOLE_WINDOW + 1)
    present = set(Event.objects.filter(id__gte=lo, id__lte=top).values_list("id", flat=True))
    return [i for i in range(lo, top + 1) if i not in present]


def _finish(state: RollupState, t0: float, days: int, touched: int = 0) -> RollupRun:
    state.refreshed_at = timezone.now()
    state.last_run_seconds = round(clock.perf_counter() - t0, 3)
    state.last_run_days = days
    state.save()
    return RollupRun(
        days=days, seconds=state.last_run_seconds, rolled_through=state.rolled_through, touched_orders=touched
    )


def rollup_refresh(*, now: datetime | None = None) -> RollupRun:
    """The beat task's work: re-roll the rolled days that orders changed since the last
    run touch, and roll the days that have ended since. Exact after it returns for
    every change committed before it started."""
    t0 = clock.perf_counter()
    today = local_day(now or timezone.now())
    with transaction.atomic():
        state = _state(lock=True)
        if state.rolled_through is None:
            return rollup_rebuild(now=now)
        seen = state.last_event_id
        fresh = list(Event.objects.filter(Q(id__gt=seen) | Q(id__in=state.holes or [])).values_list("id", "order_id"))
        top = max([seen, *(i for i, _ in fresh)])
        touched = {order_id for _, order_id in fresh}
        days = {d for d in days_touched_by(touched) if d < state.rolled_through}
        days |= {state.rolled_through + timedelta(days=i) for i in range((today - state.rolled_through).days)}
        categories = place_categories()
        _places_again(state, categories)
        _roll_days(days, categories)
        state.rolled_through = max(state.rolled_through, today)
        _roll_weeks(days, state.rolled_through)
        state.last_event_id = top
        state.holes = _holes(top)  # still-missing ids, old or new, inside the window
        state.place_categories = categories
        return _finish(state, t0, len(days), len(touched))
