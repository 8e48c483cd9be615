"""The dashboard's daily roll-up: counts per local day, so a year reads hundreds of
rows per unit instead of a million orders.

Each table holds exactly the additive parts of the live selectors' figures
(dashboards/selectors.py stays the reference), grouped by the columns a scope or a
breakdown filters on. Ids are plain integers, not foreign keys: the rows are derived
data, rebuilt from the workorders tables, and must never block deleting or editing a
unit or category. ``day`` is the local date (settings.TIME_ZONE) of the timestamp the
figure is dated by. Rows exist only for days before ``RollupState.rolled_through``;
later days are always read live. See dashboards/rollup.py for how rows are kept exact.
"""

from django.db import models


class DailyOrders(models.Model):
    """Orders received (by created_at) and replied (by replied_at) per day: volume,
    trend, grid map, ranking volume and handling time."""

    day = models.DateField()
    lead_unit_id = models.IntegerField(null=True)
    street_id = models.IntegerField(null=True)
    grid_id = models.IntegerField(null=True)
    received = models.IntegerField(default=0)
    replied = models.IntegerField(default=0)
    # sum of (replied_at - created_at) over the orders replied that day, in microseconds
    handling_us = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailyorders_day")]

    def __str__(self) -> str:
        return f"{self.day} lead {self.lead_unit_id} grid {self.grid_id}: {self.received} received"


class DailyCategory(models.Model):
    """Orders received per day and category (category volumes)."""

    day = models.DateField()
    lead_unit_id = models.IntegerField(null=True)
    street_id = models.IntegerField(null=True)
    category_id = models.IntegerField()
    received = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailycategory_day")]

    def __str__(self) -> str:
        return f"{self.day} category {self.category_id}: {self.received}"


class DailyDeadlines(models.Model):
    """Sign and handle deadlines by the day they fall due: due = met + breached + open
    (a day before rolled_through is over, so an open row there is past due), met."""

    day = models.DateField()
    unit_id = models.IntegerField(null=True)
    stage = models.CharField(max_length=16)
    due = models.IntegerField(default=0)
    met = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailydeadlines_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.stage} unit {self.unit_id}: {self.met}/{self.due}"


class DailyCallbacks(models.Model):
    """Callbacks that reached the resident (callback_close, reopen) per day.

    lead_unit_id/street_id are the order's current ones (the summary's scope);
    rank_unit_id is the unit the ranking credits (the lead unit in the event's payload,
    else the order's); category_id is the order's current category (the board's rates
    per category)."""

    day = models.DateField()
    lead_unit_id = models.IntegerField(null=True)
    street_id = models.IntegerField(null=True)
    rank_unit_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    made = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)
    # 三满意 (community.satisfaction): callbacks that answered each aspect, and of those
    # the satisfied or basically satisfied ones.
    attitude_n = models.IntegerField(default=0)
    attitude_ok = models.IntegerField(default=0)
    process_n = models.IntegerField(default=0)
    process_ok = models.IntegerField(default=0)
    result_n = models.IntegerField(default=0)
    result_ok = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailycallbacks_day")]

    def __str__(self) -> str:
        return f"{self.day} lead {self.lead_unit_id}: {self.satisfied}/{self.made}"


class DailyUnitCallbacks(models.Model):
    """Callbacks that reached the resident per day and the unit the order sits with
    now (its ``current_unit``): the 考核 of units below the lead (communities, property
    companies), credited for the orders they answered (governance.figures)."""

    day = models.DateField()
    unit_id = models.IntegerField(null=True)
    made = models.IntegerField(default=0)
    solved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    reopened = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailyunitcb_day")]

    def __str__(self) -> str:
        return f"{self.day} unit {self.unit_id}: {self.satisfied}/{self.made}"


class DailyHandoffs(models.Model):
    """Returns and dispatches per day, event kind and the unit they count for (退单率):
    a ``return_up`` for its actor's unit, a ``return`` for the unit in its payload's
    ``from_unit``, a dispatch (assign, reassign, center_redispatch, sub_dispatch) for
    the payload's ``unit``. Events are never edited, so a day changes only by new ones."""

    day = models.DateField()
    kind = models.CharField(max_length=32)
    unit_id = models.IntegerField(null=True)
    n = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailyhandoffs_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} unit {self.unit_id}: {self.n}"


class DailyPlaces(models.Model):
    """Orders received per day, place (community, grid) and complaint category, rejected
    and merged submissions left out: the 被投诉率 of whoever serves the place
    (governance.serving). Only whether an order's category is a complaint matters there,
    so ``category_id`` is the order's category when it is one of the complaint categories
    the roll was made with (``RollupState.place_categories``) and null for every other:
    a few rows per place and day instead of nearly one per order."""

    day = models.DateField()
    community_id = models.IntegerField()
    grid_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    received = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailyplaces_day")]

    def __str__(self) -> str:
        return f"{self.day} community {self.community_id} grid {self.grid_id}: {self.received}"


class DailyDirect(models.Model):
    """直接答复率 per day and place: hotline calls logged (log_call events), answered on
    the spot (answer_now), and of those from a knowledge-base article; lead_unit_id and
    street_id are the order's current ones (the scope)."""

    day = models.DateField()
    lead_unit_id = models.IntegerField(null=True)
    street_id = models.IntegerField(null=True)
    calls = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    from_article = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day"], name="dash_dailydirect_day")]

    def __str__(self) -> str:
        return f"{self.day} lead {self.lead_unit_id}: {self.answered}/{self.calls}"


class WeeklyPairs(models.Model):
    """Orders received per week (Monday) and (grid, category): hotspots. A day-level
    table would hold nearly one row per order; a week of pairs repeats enough to shrink.
    Rows exist for whole weeks before ``RollupState.rolled_through`` only."""

    week = models.DateField()
    lead_unit_id = models.IntegerField(null=True)
    street_id = models.IntegerField(null=True)
    grid_id = models.IntegerField()
    category_id = models.IntegerField()
    received = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["week"], name="dash_weeklypairs_week")]

    def __str__(self) -> str:
        return f"week {self.week} grid {self.grid_id} category {self.category_id}: {self.received}"


class RollupState(models.Model):
    """One row: how far the roll-up reaches and which events it has seen."""

    rolled_through = models.DateField(null=True, help_text="days before this date are rolled up")
    last_event_id = models.BigIntegerField(default=0)
    # event ids at or below last_event_id that did not exist at the last run (see rollup.py)
    holes = models.JSONField(default=list, blank=True)
    # The complaint categories (governance.ComplaintCategory) DailyPlaces keeps apart;
    # when the set changes, the beat task re-rolls DailyPlaces and until then the
    # 被投诉率 is read live (governance.figures).
    place_categories = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(null=True)
    last_run_seconds = models.FloatField(null=True)
    last_run_days = models.IntegerField(null=True)

    def __str__(self) -> str:
        return f"rolled through {self.rolled_through}, event {self.last_event_id}"
