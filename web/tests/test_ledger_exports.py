"""A ledger larger than INLINE_ROWS is written by a worker (issue 14): the request only
asks for it; the worker writes the same masked file the inline export gives, with the
asker's rights and language; only the asker sees its page and downloads it; a lost
message or a dead worker is made good by the sweep, and old files are deleted."""

import html
import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from web import exports, tasks
from web.ledger import HEADER_ROW, ledger_workbook
from web.models import ExportState, LedgerExport
from web.tests.conftest import export_url
from web.views.dashboard import ledger_asked
from workorders import outbox
from workorders.services import work_order_assign

B_POINT = {"lat": 39.905, "lng": 116.325}  # grid B1, street B


@pytest.fixture
def small_inline(monkeypatch):
    """Three orders are "large": the rule, not the size, is under test."""
    monkeypatch.setattr(exports, "INLINE_ROWS", 2)


@pytest.fixture
def nudges(monkeypatch):
    sent = []
    # The sweep's nudge (beat), and in this eager suite the drain after the request's
    # commit (the running app's relay wakes a worker instead: hotline/outbox_relay.py).
    monkeypatch.setattr(exports, "follow_ups_nudge", lambda *, tasks: sent.append(tuple(tasks)))
    monkeypatch.setattr(outbox, "follow_ups_nudge", lambda *, tasks: sent.append(tuple(tasks)))
    return sent


@pytest.fixture
def three(district, log_call):
    dispatcher = district.user("dispatcher")
    return [
        work_order_assign(order=log_call(), actor=dispatcher, unit=district.street_a),
        work_order_assign(order=log_call(title="张三13812345678反映占道"), actor=dispatcher, unit=district.street_a),
        work_order_assign(order=log_call(**B_POINT), actor=dispatcher, unit=district.street_b),
    ]


def _client(district, username) -> Client:
    client = Client()
    client.force_login(district.user(username))
    return client


def _cells(content: bytes) -> list[tuple]:
    """Every row from the header down (the title rows carry the export time)."""
    sheet = load_workbook(io.BytesIO(content)).active
    return list(sheet.iter_rows(min_row=HEADER_ROW, values_only=True))


def _ask(client, params=None, **headers):
    response = client.post(export_url(params or {"figure": "volume"}), **headers)
    assert response.status_code == 302, response.status_code
    export = LedgerExport.objects.get()
    assert response.url == reverse("web:ledger_export", args=[export.pk])
    return export


def test_a_small_ledger_is_still_a_file_at_once(district, three):
    response = _client(district, "supervisor").post(export_url({"figure": "volume"}))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    assert not LedgerExport.objects.exists()


@pytest.mark.parametrize("size", ["small", "large"])
def test_a_get_of_the_export_starts_nothing(district, three, nudges, monkeypatch, size):
    """A link prefetcher, a crawler or a reload sends GETs: none of them may ask for a
    ledger (only the list's form, a POST, does)."""
    if size == "large":
        monkeypatch.setattr(exports, "INLINE_ROWS", 2)
    client = _client(district, "supervisor")
    for params in ({"figure": "volume"}, {}, {"figure": "overdue"}):
        response = client.get(export_url(params))
        assert response.status_code == 405 and response["Allow"] == "POST"
        assert not response.has_header("Content-Disposition")
    assert not LedgerExport.objects.exists() and nudges == []


def test_the_list_asks_for_its_ledger_with_a_csrf_guarded_post(district, three, small_inline, nudges):
    client = Client(enforce_csrf_checks=True)
    client.force_login(district.user("supervisor"))
    page = client.get(reverse("web:orders"), {"figure": "volume", "page": "2"}).content.decode()
    form = re.search(r'<form method="post" action="([^"]+)" class="inline export">(.*?)</form>', page, re.S)
    assert form is not None, "the export is a form"
    action = html.unescape(form.group(1))
    assert action == export_url({"figure": "volume"})  # the list's filters, not its page
    assert "导出 Excel（已脱敏）" in form.group(2) and 'type="submit"' in form.group(2)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2)).group(1)
    # Another site's page cannot make the supervisor's browser ask for a ledger.
    assert client.post(action).status_code == 403 and not LedgerExport.objects.exists()
    response = client.post(action, {"csrfmiddlewaretoken": token})
    export = LedgerExport.objects.get()
    assert response.status_code == 302 and response.url == reverse("web:ledger_export", args=[export.pk])
    assert export.query == "figure=volume"
    # Its page and (once written) its file are read by GET, and reading creates nothing.
    assert client.get(response.url).status_code == 200
    exports.ledger_exports_drain()
    assert client.get(reverse("web:ledger_export_file", args=[export.pk])).status_code == 200
    assert LedgerExport.objects.count() == 1


def test_a_large_ledger_is_written_by_a_worker_and_is_the_same_file(
    district, three, small_inline, nudges, django_capture_on_commit_callbacks
):
    client = _client(district, "supervisor")
    with django_capture_on_commit_callbacks(execute=True):
        export = _ask(client)
    assert export.state == ExportState.PENDING and export.content is None
    # After commit, no id in the message (names of the fixture's uncommitted events ride along).
    assert [name for sent in nudges for name in sent if name == exports.DRAIN_TASK] == [exports.DRAIN_TASK]
    page = client.get(reverse("web:ledger_export", args=[export.pk])).content.decode()
    assert 'http-equiv="refresh"' in page and "正在后台生成" in page
    assert client.get(reverse("web:ledger_export_file", args=[export.pk])).status_code == 404  # not yet

    assert tasks.ledger_exports_drain() == 1
    export.refresh_from_db()
    assert export.state == ExportState.READY and export.rows == 3 and export.attempts == 1
    page = client.get(reverse("web:ledger_export", args=[export.pk])).content.decode()
    assert 'http-equiv="refresh"' not in page and "共 3 件工单" in page
    response = client.get(reverse("web:ledger_export_file", args=[export.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="ledger-')
    qs, _name, title = ledger_asked(district.user("supervisor"), export_query(export))
    assert _cells(response.content) == _cells(ledger_workbook(qs, title))
    flat = " ".join(str(c) for row in _cells(response.content) for c in row)
    assert "13812345678" not in flat and "138****5678" in flat and "张*" in flat


def export_query(export):
    from django.http import QueryDict

    return QueryDict(export.query)


def test_only_the_asker_sees_the_export_and_its_file(district, three, small_inline, nudges):
    export = _ask(_client(district, "supervisor"))
    exports.ledger_exports_drain()
    for username in ("supervisor_a", "handler_a", "operator"):
        other = _client(district, username)
        assert other.get(reverse("web:ledger_export", args=[export.pk])).status_code == 404
        assert other.get(reverse("web:ledger_export_file", args=[export.pk])).status_code == 404
    anonymous = Client().get(reverse("web:ledger_export_file", args=[export.pk]))
    assert anonymous.status_code == 302 and "login" in anonymous.url


def test_the_worker_reads_with_the_askers_rights_and_language(district, three, small_inline, nudges, monkeypatch):
    monkeypatch.setattr(exports, "INLINE_ROWS", 1)
    client = _client(district, "supervisor_a")  # street A's supervisor: two of the three
    export = _ask(client, {"figure": "volume"}, HTTP_ACCEPT_LANGUAGE="en")
    assert export.language == "en"
    exports.ledger_exports_drain()
    cells = _cells(client.get(reverse("web:ledger_export_file", args=[export.pk])).content)
    assert cells[0][0] == "Work order no."
    assert sorted(row[0] for row in cells[1:]) == sorted(o.number for o in three[:2])


def test_an_asker_who_lost_the_right_gets_no_file(district, three, nudges, monkeypatch):
    monkeypatch.setattr(exports, "INLINE_ROWS", 1)  # street A's two orders
    export = _ask(_client(district, "supervisor_a"))
    district.user("supervisor_a").memberships.all().delete()
    exports.ledger_exports_drain()
    export.refresh_from_db()
    assert export.state == ExportState.FAILED and export.content is None


def test_the_sweep_makes_good_a_lost_message_and_a_dead_worker_and_deletes_old_files(district, nudges):
    owner, now = district.user("supervisor"), timezone.now()
    fresh = LedgerExport.objects.create(owner=owner, created_at=now)
    assert exports.ledger_exports_sweep(now=now)["nudged"] == 0 and not nudges  # its own nudge is on its way
    lost = LedgerExport.objects.create(owner=owner, created_at=now - exports.GRACE - timedelta(seconds=1))
    dead = LedgerExport.objects.create(
        owner=owner, state=ExportState.RUNNING, attempts=1, started_at=now - exports.STALE - timedelta(seconds=1)
    )
    hopeless = LedgerExport.objects.create(
        owner=owner,
        state=ExportState.RUNNING,
        attempts=exports.MAX_ATTEMPTS,
        started_at=now - exports.STALE - timedelta(seconds=1),
    )
    old = LedgerExport.objects.create(
        owner=owner, state=ExportState.READY, content=b"x", created_at=now - timedelta(hours=exports.KEEP_HOURS + 1)
    )
    result = exports.ledger_exports_sweep(now=now)
    assert result == {"requeued": 1, "failed": 1, "nudged": 1, "deleted": 1}
    assert nudges == [(exports.DRAIN_TASK,)]
    states = dict(LedgerExport.objects.values_list("pk", "state"))
    assert states == {
        fresh.pk: ExportState.PENDING,
        lost.pk: ExportState.PENDING,
        dead.pk: ExportState.PENDING,
        hopeless.pk: ExportState.FAILED,
    }
    assert old.pk not in states
    # Every waiting export is then written, each once.
    assert exports.ledger_exports_drain() == 3 and exports.ledger_exports_drain() == 0


def test_a_write_that_fails_is_tried_again_then_given_up(district, three, small_inline, nudges, monkeypatch):
    export = _ask(_client(district, "supervisor"))

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("web.ledger.ledger_file", broken)
    for attempt in range(1, exports.MAX_ATTEMPTS + 1):
        assert exports.ledger_exports_drain() == 0
        export.refresh_from_db()
        assert export.attempts == attempt
        assert export.state == (ExportState.FAILED if attempt == exports.MAX_ATTEMPTS else ExportState.PENDING)
    assert exports.ledger_exports_drain() == 0 and export.content is None


def test_asking_again_while_it_is_written_is_the_same_export(district, three, small_inline, nudges):
    client = _client(district, "supervisor")
    first = _ask(client)
    again = client.post(export_url({"figure": "volume"}))
    assert again.url == reverse("web:ledger_export", args=[first.pk]) and LedgerExport.objects.count() == 1
    exports.ledger_exports_drain()
    # Once written, a new request is a new export: the orders may have changed since.
    assert client.post(export_url({"figure": "volume"})).url != again.url
    assert LedgerExport.objects.count() == 2
