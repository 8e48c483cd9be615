"""Retention (PIPL): closed orders lose their personal data by age or on request, and
every figure the supervisors read stays exactly the same."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from PIL import Image

from attachments.models import Attachment
from attachments.services import attachment_add
from dashboards import rolled as rb
from dashboards import selectors as ds
from dashboards.rollup import rollup_rebuild
from dashboards.tests.test_rollup import History, last_days, scopes
from dispatch.models import Notification
from dispatch.retention import retention_anonymise_caller, retention_anonymise_expired
from dispatch.tasks import retention
from workorders.choices import TERMINAL_STATUSES
from workorders.models import Event, WorkOrder
from workorders.replay import replay
from workorders.services import work_order_answer_now

PHONE = "13812345678"
DESCRIPTION = "我是张三，电话13912345678，住3号楼2单元501，楼下京A12345天天占道。"


@pytest.fixture
def personal_log_call(log_call):
    def _log(**kw):
        return log_call(description=DESCRIPTION, address="幸福里3号楼2单元501", **kw)

    return _log


@pytest.fixture
def history(district, personal_log_call, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    h = History(district, personal_log_call)
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, "PNG")
    for order in h.orders.values():
        attachment_add(order=order, upload=SimpleUploadedFile("a.png", buf.getvalue(), content_type="image/png"))
        Notification.objects.create(
            recipient=district.user("handler_a"),
            order=order,
            address=PHONE,
            text=f"工单{order.number}：张三 13912345678 反映占道",
            dedupe_key=f"t-{order.pk}",
            created_at=timezone.now(),
        )
    return h


def figures(district, now):
    """Everything the board shows, live and rolled up, for many scopes."""
    rollup_rebuild(now=now)
    out = []
    for scope in [*scopes(district, now), last_days(365)]:
        for module in (ds, rb):
            board = module.board(scope, now=now)
            out.append(
                (
                    {k: (f.numerator, f.denominator) for k, f in board["summary"].items()},
                    board["summary"]["handling"].extra["avg"],
                    *(board[key] for key in ("ranking", "categories", "trend", "grids", "hotspots")),
                )
            )
    return out


def replay_mismatches():
    bad = []
    for order in WorkOrder.objects.all():
        state = replay(order.events.order_by("seq"))
        if (state.status, state.current_unit_id, state.lead_unit_id, state.version) != (
            order.status,
            order.current_unit_id,
            order.lead_unit_id,
            order.version,
        ):
            bad.append(order.number)
    return bad


def test_retention_anonymises_old_closed_orders_and_keeps_every_figure(district, history):
    now = timezone.now()
    before = figures(district, now)
    closed = set(WorkOrder.objects.filter(status__in=TERMINAL_STATUSES).values_list("number", flat=True))
    assert closed and WorkOrder.objects.exclude(status__in=TERMINAL_STATUSES).exists()
    versions = dict(WorkOrder.objects.values_list("pk", "version"))

    run = retention_anonymise_expired(days=5, now=now)

    assert set(run.orders) == closed and run.attachments == len(closed) and run.notifications == len(closed)
    for order in WorkOrder.objects.filter(number__in=closed):
        assert (order.caller_name, order.caller_phone) == ("", "")
        for text in (order.description, order.address):
            assert "13912345678" not in text and "501" not in text and "京A12345" not in text
        assert "张三" not in order.description
        assert order.events.filter(kind="anonymise", actor=None).count() == 1
        assert not Attachment.objects.filter(order=order).exists()
        note = Notification.objects.get(order=order)
        assert "13912345678" not in note.text and "张三" not in note.text and note.address == ""
    for order in WorkOrder.objects.exclude(number__in=closed):  # open orders keep their caller
        assert order.caller_phone == PHONE and "13912345678" in order.description
        assert Attachment.objects.filter(order=order).exists()
    assert dict(WorkOrder.objects.values_list("pk", "version")) == versions
    assert not replay_mismatches()
    assert figures(district, now) == before
    # a second run finds nothing left to do
    assert retention_anonymise_expired(days=5, now=now).orders == []


def test_retention_spares_orders_closed_within_the_period(district, history):
    assert retention_anonymise_expired(days=365).orders == []
    assert not Event.objects.filter(kind="anonymise").exists()


def test_dry_run_reports_and_changes_nothing(district, history):
    rows = list(WorkOrder.objects.values_list("pk", "caller_phone", "description", "version").order_by("pk"))
    events = list(Event.objects.values_list("pk", "note", "payload").order_by("pk"))
    out = io.StringIO()
    call_command("anonymise", days=5, dry_run=True, stdout=out)
    closed = WorkOrder.objects.filter(status__in=TERMINAL_STATUSES)
    assert f"would anonymise {closed.count()} orders" in out.getvalue()
    assert all(f"would anonymise {o.number}" in out.getvalue() for o in closed)
    assert list(WorkOrder.objects.values_list("pk", "caller_phone", "description", "version").order_by("pk")) == rows
    assert list(Event.objects.values_list("pk", "note", "payload").order_by("pk")) == events
    assert Attachment.objects.count() == len(history.orders)


def test_a_callers_request_anonymises_their_closed_orders_and_names_the_open_ones(district, log_call):
    mine = log_call(caller_phone="13900001111")
    other = log_call(caller_phone="13900002222")
    mine = work_order_answer_now(order=mine, actor=district.user("operator"), answer="已解答，联系13900001111。")
    other = work_order_answer_now(order=other, actor=district.user("operator"), answer="已解答。")
    still = log_call(caller_phone="13900001111")

    out = io.StringIO()
    call_command("anonymise", phone="139-0000-1111", stdout=out)

    mine.refresh_from_db(), other.refresh_from_db(), still.refresh_from_db()
    assert mine.caller_phone == "" and "13900001111" not in mine.reply
    assert other.caller_phone == "13900002222" and still.caller_phone == "13900001111"
    assert f"still open, not anonymised: {still.number}" in out.getvalue()
    event = mine.events.get(kind="anonymise")
    assert event.payload["reason"] == "request" and event.actor_role == "system"
    assert retention_anonymise_caller(phone="13900001111").orders == []


def test_the_daily_task_uses_the_retention_setting(district, history, settings):
    settings.HOTLINE_RETENTION_DAYS = 5
    assert retention() == WorkOrder.objects.filter(status__in=TERMINAL_STATUSES).count()
    settings.HOTLINE_RETENTION_DAYS = 730
    assert retention() == 0


def test_bad_command_input_is_a_clear_error(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--days"):
        call_command("anonymise", days=0)
    with pytest.raises(CommandError, match="--phone"):
        call_command("anonymise", phone="abc")


def test_event_log_allows_only_redaction_and_only_after_anonymisation(district, log_call):
    from django.db import DatabaseError, connection, transaction

    order = work_order_answer_now(order=log_call(), actor=district.user("operator"), answer="已解答。")
    first = order.events.order_by("seq").first()

    def update(sql, pk):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [pk])

    with pytest.raises(DatabaseError, match="append-only"):
        update("UPDATE workorders_event SET note = 'x' WHERE id = %s", first.pk)
    retention_anonymise_caller(phone="13812345678")
    mark = order.events.get(kind="anonymise")
    update("UPDATE workorders_event SET note = 'x' WHERE id = %s", first.pk)  # redaction: allowed now
    for sql, pk in [
        ("UPDATE workorders_event SET kind = 'submit' WHERE id = %s", first.pk),
        ("UPDATE workorders_event SET to_status = 'closed' WHERE id = %s", first.pk),
        ("UPDATE workorders_event SET note = 'x' WHERE id = %s", mark.pk),
    ]:
        with pytest.raises(DatabaseError, match="append-only"):
            update(sql, pk)
