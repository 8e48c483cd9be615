from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns import selectors as cs
from campaigns.models import Campaign
from campaigns.services import campaign_create
from dashboards import selectors as ds


def _figures(row) -> tuple:
    return (row.scope, row.closed, row.open, row.overdue)


def test_center_sees_a_row_per_unit_and_a_total(district, orders, campaign):
    board = cs.campaign_board(campaign=campaign, user=district.user("supervisor"))
    rows = {r.unit: r for r in board["rows"]}
    assert _figures(rows[district.street_a]) == (2, 1, 1, 0)
    assert _figures(rows[district.street_b]) == (1, 0, 1, 1)
    assert _figures(board["total"]) == (3, 1, 2, 1)
    assert board["total"].percent == pytest.approx(100 / 3)
    assert board["days_left"] == 10 and not board["ended"]


def test_overdue_is_the_dashboards_figure(district, orders, campaign):
    now = timezone.now()
    scope = ds.Scope(start=now - timedelta(days=30), end=now, unit=district.street_b)
    dashboard_overdue = ds.summary(scope, now=now)["overdue"].numerator
    board = cs.campaign_board(campaign=campaign, user=district.user("supervisor"), now=now)
    row_b = next(r for r in board["rows"] if r.unit == district.street_b)
    assert dashboard_overdue == row_b.overdue == 1


def test_a_unit_sees_its_own_row_only(district, orders, campaign):
    board = cs.campaign_board(campaign=campaign, user=district.user("handler_a"))
    assert [r.unit for r in board["rows"]] == [district.street_a]
    assert _figures(board["total"]) == _figures(board["rows"][0])
    with pytest.raises(LookupError):
        cs.campaign_part_orders(
            campaign=campaign, user=district.user("handler_a"), unit_id=district.street_b.pk, part="scope"
        )


def test_unit_outside_the_campaign_gets_404_and_no_listing(client, district, orders, campaign):
    client.force_login(district.user("handler_dept"))
    assert client.get(reverse("campaigns:board", args=[campaign.pk])).status_code == 404
    assert client.get(reverse("campaigns:orders", args=[campaign.pk])).status_code == 404
    assert campaign.name not in client.get(reverse("campaigns:list")).content.decode()


@pytest.mark.parametrize("username", ["supervisor", "handler_a", "supervisor_a", "handler_b"])
def test_every_number_clicks_through_to_exactly_its_orders(client, district, orders, campaign, username):
    user = district.user(username)
    client.force_login(user)
    board = cs.campaign_board(campaign=campaign, user=user)
    page = client.get(reverse("campaigns:board", args=[campaign.pk])).content.decode()
    for row in [*board["rows"], board["total"]]:
        for n, part in row.cells:
            params = {"part": part, **({"unit": row.unit.pk} if row.unit else {})}
            response = client.get(reverse("campaigns:orders", args=[campaign.pk]), params)
            assert response.status_code == 200
            body = response.content.decode()
            listed = [o for o in orders.values() if f">{o.number}</a>" in body]
            assert len(listed) == n, (row.unit, part)
            assert f"共 {n} 件" in body
            href = (
                reverse("campaigns:orders", args=[campaign.pk]) + "?" + (f"unit={row.unit.pk}&amp;" if row.unit else "")
            )
            assert f'{href}part={part}" data-part="{part}">{n}</a>' in page


def test_another_units_row_is_404_on_the_page(client, district, orders, campaign):
    client.force_login(district.user("handler_b"))
    url = reverse("campaigns:orders", args=[campaign.pk])
    assert client.get(url, {"unit": district.street_b.pk, "part": "overdue"}).status_code == 200
    assert client.get(url, {"unit": district.street_a.pk, "part": "scope"}).status_code == 404
    assert client.get(url, {"unit": "x", "part": "scope"}).status_code == 404
    assert client.get(url, {"part": "everything"}).status_code == 404


def test_categories_and_overdue_only_narrow_the_scope(district, orders):
    today = timezone.localdate()
    owner = district.user("supervisor")
    by_category = campaign_create(
        name="违建攻坚",
        owner=owner,
        starts_on=today,
        ends_on=today,
        units=[district.street_a, district.street_b],
        categories=[district.cat_department],
    )
    assert cs.campaign_board(campaign=by_category, user=owner)["total"].scope == 0
    # A major category takes its minor ones.
    major = campaign_create(
        name="市容攻坚", owner=owner, starts_on=today, ends_on=today, categories=[district.cat_territorial.parent]
    )
    assert cs.campaign_board(campaign=major, user=owner)["total"].scope == 3
    late = campaign_create(name="超期清零", owner=owner, starts_on=today, ends_on=today, overdue_only=True)
    qs = cs.campaign_part_orders(campaign=late, user=owner, unit_id=None, part="scope")
    assert list(qs) == [orders["b_late"]]


def test_orders_closed_before_the_start_or_created_after_the_end_are_out(district, orders):
    owner = district.user("supervisor")
    today = timezone.localdate()
    later = campaign_create(
        name="下月行动", owner=owner, starts_on=today + timedelta(days=1), ends_on=today + timedelta(days=30)
    )
    # The closed order was closed today, before this campaign starts; the open ones stay in.
    assert _figures(cs.campaign_board(campaign=later, user=owner)["total"]) == (2, 0, 2, 1)
    assert cs.campaign_board(campaign=later, user=owner)["days_left"] is None
    earlier = campaign_create(
        name="上月行动", owner=owner, starts_on=today - timedelta(days=30), ends_on=today - timedelta(days=1)
    )
    board = cs.campaign_board(campaign=earlier, user=owner)
    assert board["total"].scope == 0 and board["ended"]


def test_a_count_target_measures_closed_against_the_count(district, orders):
    owner = district.user("supervisor")
    today = timezone.localdate()
    campaign = campaign_create(
        name="百日攻坚",
        owner=owner,
        starts_on=today,
        ends_on=today + timedelta(days=99),
        units=[district.street_a],
        target="close_count",
        target_count=4,
    )
    board = cs.campaign_board(campaign=campaign, user=owner)
    assert board["rows"][0].percent == 25.0 and board["total"].percent == 25.0


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"ends_on_offset": -1}, "ends_on"),
        ({"target": "close_count"}, "target_count"),
        ({"target": "close_count", "target_count": 0}, "target_count"),
        ({"target_count": 5}, "target_count"),
    ],
)
def test_bad_campaigns_are_refused_with_a_message_and_nothing_saved(district, kwargs, field):
    today = timezone.localdate()
    offset = kwargs.pop("ends_on_offset", 0)
    with pytest.raises(ValidationError) as err:
        campaign_create(
            name="错", owner=district.user("admin"), starts_on=today, ends_on=today + timedelta(days=offset), **kwargs
        )
    assert field in err.value.message_dict
    assert not Campaign.objects.exists()


def test_board_page_shows_progress_and_days_left(client, district, orders, campaign):
    client.force_login(district.user("supervisor"))
    body = client.get(reverse("campaigns:board", args=[campaign.pk])).content.decode()
    assert "背街小巷清零行动" in body and "剩 10 天" in body and "甲街道" in body and "乙街道" in body
    assert "<progress" in body and "33.3%" in body
    assert "背街小巷清零行动" in client.get(reverse("campaigns:list")).content.decode()


def test_board_costs_a_fixed_number_of_queries_per_row(district, orders, campaign, django_assert_max_num_queries):
    # Two queries per row (subtree, aggregate) plus four: rows are units, never orders.
    user = district.user("supervisor")
    with django_assert_max_num_queries(2 * 2 + 4):
        board = cs.campaign_board(campaign=campaign, user=user)
    assert len(board["rows"]) == 2


def test_admin_refuses_a_campaign_ending_before_it_starts(client, district):
    admin_user = district.user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    today = timezone.localdate()
    data = {
        "name": "倒序行动",
        "owner": admin_user.pk,
        "starts_on": today.isoformat(),
        "ends_on": (today - timedelta(days=1)).isoformat(),
        "target": "close_all",
        "units": [district.street_a.pk],
    }
    response = client.post(reverse("admin:campaigns_campaign_add"), data)
    assert response.status_code == 200 and "截止日期不能早于开始日期。" in response.content.decode()
    assert not Campaign.objects.exists()
    data["ends_on"] = today.isoformat()
    assert client.post(reverse("admin:campaigns_campaign_add"), data).status_code == 302
    assert list(Campaign.objects.get().units.all()) == [district.street_a]


def test_figures_are_cut_to_what_the_viewer_may_open(district, orders, campaign):
    # The order answered on the call has no lead unit: street A's supervisor sees it
    # (located in the street: 属地), street A's handler does not (nobody gave it to them).
    def row_a(username):
        board = cs.campaign_board(campaign=campaign, user=district.user(username))
        return _figures(board["rows"][0])

    assert row_a("supervisor_a") == (2, 1, 1, 0)
    assert row_a("handler_a") == (1, 0, 1, 0)


def test_a_community_below_a_street_row_does_not_see_the_streets_row(client, district, orders, campaign):
    client.force_login(district.user("handler_community_a"))
    assert client.get(reverse("campaigns:board", args=[campaign.pk])).status_code == 404


def test_a_one_unit_campaigns_total_is_its_row_without_counting_again(district, orders):
    """The total of a campaign of one street is that street's row: one aggregate, not two."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    today = timezone.localdate()
    campaign = campaign_create(
        name="甲街道整治",
        owner=district.user("supervisor"),
        starts_on=today - timedelta(days=5),
        ends_on=today + timedelta(days=9),
        units=[district.street_a],
    )
    with CaptureQueriesContext(connection) as ctx:
        board = cs.campaign_board(campaign=campaign, user=district.user("supervisor"))
    aggregates = [q["sql"] for q in ctx.captured_queries if "FILTER (WHERE" in q["sql"]]
    assert len(aggregates) == 1, aggregates
    [row] = board["rows"]
    assert _figures(board["total"]) == _figures(row) == (2, 1, 1, 0)
    assert board["total"].unit is None and board["total"].percent == row.percent
