"""Saved filters: a user saves the order list's current filter under a name, reuses it
on the list (page and API), and a campaign takes one as its scope; the units in the
campaign see its page with their own progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from campaigns import selectors as cs
from campaigns.filters import saved_filter_delete, saved_filter_save
from campaigns.models import SavedFilter
from campaigns.services import campaign_create
from workorders.errors import InvalidInput
from workorders.services import work_order_assign

pytestmark = pytest.mark.django_db


@pytest.fixture
def urgent(district, log_call):
    """An urgent order in street A (the others of the board's fixture are normal)."""
    return work_order_assign(
        order=log_call(urgency="urgent", title="燃气味很重"), actor=district.user("dispatcher"), unit=district.street_a
    )


def page_numbers(html: str, orders) -> set[str]:
    return {o.number for o in orders if o.number in html}


def test_a_supervisor_saves_the_current_filter_and_reuses_it(district, orders, urgent):
    everyone = [*orders.values(), urgent]
    client = Client()
    client.force_login(district.user("supervisor"))
    listed = client.get("/campaigns/filters/?urgency=urgent&status=assigned&cursor=abc").content.decode()
    assert page_numbers(listed, everyone) == {urgent.number}
    assert 'name="query" value="status=assigned&amp;urgency=urgent"' in listed  # paging is not a filter
    response = client.post(
        "/campaigns/filters/save/", {"name": "紧急待签收", "query": "urgency=urgent&status=assigned"}
    )
    saved = SavedFilter.objects.get()
    assert (saved.owner, saved.name, saved.query) == (
        district.user("supervisor"),
        "紧急待签收",
        "status=assigned&urgency=urgent",
    )
    assert response.url == f"/campaigns/filters/?saved={saved.pk}"
    again = client.get(response.url).content.decode()
    assert page_numbers(again, everyone) == {urgent.number} and "紧急待签收" in again
    # Saving under the same name replaces it.
    saved_filter_save(owner=district.user("supervisor"), name="紧急待签收", query="urgency=urgent")
    assert SavedFilter.objects.get().query == "urgency=urgent"


@pytest.mark.parametrize(
    ("query", "field"),
    [("colour=red", "query"), ("status=bogus", "status"), ("cursor=x", "query"), ("overdue=perhaps", "overdue")],
)
def test_bad_filters_are_refused_with_a_message_and_nothing_saved(district, query, field):
    with pytest.raises(InvalidInput) as info:
        saved_filter_save(owner=district.user("supervisor"), name="坏的", query=query)
    assert field in info.value.errors
    client = Client()
    client.force_login(district.user("supervisor"))
    page = client.post("/campaigns/filters/save/", {"name": "坏的", "query": query}, follow=True).content.decode()
    assert 'class="error"' in page or "messages" in page
    assert not SavedFilter.objects.exists()


def test_a_name_is_required(district):
    with pytest.raises(InvalidInput) as info:
        saved_filter_save(owner=district.user("supervisor"), name="  ", query="urgency=urgent")
    assert "name" in info.value.errors


def test_the_api_applies_a_saved_filter_of_ones_own_only(district, orders, urgent):
    mine = saved_filter_save(owner=district.user("supervisor"), name="紧急", query="urgency=urgent")
    theirs = saved_filter_save(owner=district.user("dispatcher"), name="紧急", query="urgency=urgent")
    api = APIClient()
    api.force_authenticate(district.user("supervisor"))
    got = api.get(f"/api/v1/orders?saved={mine.pk}").json()
    assert [o["number"] for o in got["results"]] == [urgent.number]
    assert api.get(f"/api/v1/orders?saved={theirs.pk}").json()["results"] == []
    client = Client()
    client.force_login(district.user("supervisor"))
    assert client.get(f"/campaigns/filters/?saved={theirs.pk}").status_code == 404
    assert client.post(f"/campaigns/filters/{theirs.pk}/delete/").status_code == 404
    assert SavedFilter.objects.filter(pk=theirs.pk).exists()


def test_the_filter_page_shows_only_orders_the_user_may_see(district, orders, urgent):
    client = Client()
    client.force_login(district.user("handler_b"))
    html = client.get("/campaigns/filters/?status=assigned").content.decode()
    assert page_numbers(html, [*orders.values(), urgent]) == {orders["b_late"].number}


def test_a_campaign_scoped_by_a_saved_filter_counts_what_it_matches(district, orders, urgent):
    saved = saved_filter_save(owner=district.user("supervisor"), name="紧急件", query="urgency=urgent")
    today = timezone.localdate()
    campaign = campaign_create(
        name="紧急件清零",
        owner=district.user("supervisor"),
        starts_on=today - timedelta(days=1),
        ends_on=today + timedelta(days=5),
        units=[district.street_a, district.street_b],
        saved_filter=saved,
    )
    board = cs.campaign_board(campaign=campaign, user=district.user("supervisor"))
    assert [(r.unit, r.scope, r.open) for r in board["rows"]] == [(district.street_a, 1, 1), (district.street_b, 0, 0)]
    listed = cs.campaign_part_orders(
        campaign=campaign, user=district.user("supervisor"), unit_id=district.street_a.pk, part="scope"
    )
    assert list(listed) == [urgent]
    # Each unit in the campaign sees the page, with its own row and progress.
    for username, unit, scope in (("handler_a", district.street_a, 1), ("handler_b", district.street_b, 0)):
        client = Client()
        client.force_login(district.user(username))
        assert campaign.name in client.get("/campaigns/").content.decode()
        page = client.get(f"/campaigns/{campaign.pk}/")
        html = page.content.decode()
        assert page.status_code == 200 and unit.name in html and "紧急件" in html
        other = district.street_b if unit == district.street_a else district.street_a
        assert other.name not in html
        rows = cs.campaign_board(campaign=campaign, user=district.user(username))["rows"]
        assert [(r.unit, r.scope) for r in rows] == [(unit, scope)]
    # A filter that scopes a campaign is kept.
    with pytest.raises(InvalidInput):
        saved_filter_delete(saved=saved)
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


def test_a_saved_text_search_in_a_campaign_never_matches_by_a_callers_name(district, log_call):
    order = log_call(caller_name="王建国", title="路灯不亮")
    work_order_assign(order=order, actor=district.user("dispatcher"), unit=district.street_a)
    saved = saved_filter_save(owner=district.user("supervisor"), name="王建国的", query="q=王建国")
    today = timezone.localdate()
    campaign = campaign_create(
        name="按姓名",
        owner=district.user("supervisor"),
        starts_on=today,
        ends_on=today,
        units=[district.street_a],
        saved_filter=saved,
    )
    board = cs.campaign_board(campaign=campaign, user=district.user("handler_a"))
    assert board["rows"][0].scope == 0


def test_the_filters_page_in_english(district, orders):
    from hotline.tests.test_i18n import untranslated, visible_text

    saved_filter_save(owner=district.user("supervisor"), name="urgent-ones", query="urgency=urgent")
    client = Client()
    client.force_login(district.user("supervisor"))
    html = client.get("/campaigns/filters/?status=assigned", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    parts = visible_text(html)
    assert "Order filters" in parts and "My saved filters" in parts and "Save the current filter as" in parts
    data = [o.title for o in orders.values()] + ["甲街道", "乙街道", "占道经营"]
    assert not [p for p in untranslated(parts) if not any(d in p for d in data)]


def test_the_api_saves_and_lists_ones_own_filters(district, orders, urgent):
    api = APIClient()
    api.force_authenticate(district.user("supervisor"))
    created = api.post("/campaigns/api/filters", {"name": "紧急", "query": "urgency=urgent"}, format="json")
    assert created.status_code == 201, created.content
    saved_id = created.json()["id"]
    bad = api.post("/campaigns/api/filters", {"name": "坏", "query": "colour=red"}, format="json")
    assert bad.status_code == 400 and "query" in bad.json()["errors"]
    assert [f["name"] for f in api.get("/campaigns/api/filters").json()] == ["紧急"]
    got = api.get(f"/api/v1/orders?saved={saved_id}").json()
    assert [o["number"] for o in got["results"]] == [urgent.number]
    other = APIClient()
    other.force_authenticate(district.user("dispatcher"))
    assert other.get("/campaigns/api/filters").json() == []
