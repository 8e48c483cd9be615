"""Operators' corrections become alias suggestions; an admin approves them into aliases."""

from django.contrib.admin.sites import site
from django.urls import reverse

from grids.aliases import alias_suggestion_approve, alias_suggestion_record
from grids.gazetteer import address_resolve
from grids.models import AddressAlias, AliasSuggestion
from workorders.models import WorkOrder


def intake(**overrides):
    data = {
        "caller_phone": "13900001111",
        "description": "楼下垃圾好几天没人清运了",
        "title": "",
        "category": "",
        "address": "金色家园8号楼2单元",
        "urgency": "normal",
        "request_type": "complaint",
    }
    data.update(overrides)
    return data


def test_operator_picking_a_community_for_an_unresolved_address_records_a_suggestion(client, district):
    client.force_login(district.user("operator"))
    assert not address_resolve("金色家园8号楼2单元").placed
    response = client.post(reverse("web:ops"), intake(community=district.community_b.pk))
    assert response.status_code == 302
    order = WorkOrder.objects.get()
    assert order.community == district.community_b and order.street == district.street_b
    suggestion = AliasSuggestion.objects.get()
    assert (suggestion.alias, suggestion.community, suggestion.state) == ("金色家园", district.community_b, "pending")
    assert suggestion.resolved_community is None
    client.post(reverse("web:ops"), intake(community=district.community_b.pk))
    suggestion.refresh_from_db()
    assert AliasSuggestion.objects.count() == 1 and suggestion.times == 2


def test_a_correction_against_the_resolver_is_recorded_with_its_answer(district):
    s = alias_suggestion_record(address="幸福里小区南区", community=district.community_b)
    assert s.resolved_community == district.community_a and s.resolved_confidence > 0.6
    assert alias_suggestion_record(address="幸福里小区5号楼", community=district.community_a) is None  # agreed


def test_admin_approves_a_suggestion_and_the_resolver_learns_it(client, district, django_capture_on_commit_callbacks):
    s = alias_suggestion_record(address="金色家园8号楼", community=district.community_b)
    admin_user = district.user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    url = reverse("admin:grids_aliassuggestion_changelist")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "approve", "_selected_action": [s.pk]})
    assert response.status_code == 302
    s.refresh_from_db()
    assert s.state == "approved" and s.decided_by == admin_user
    assert AddressAlias.objects.get(alias="金色家园").community == district.community_b
    found = address_resolve("金色家园3号楼")
    assert found.placed and found.community == district.community_b


def test_approving_twice_is_refused(district):
    import pytest
    from django.core.exceptions import ValidationError

    s = alias_suggestion_record(address="金色家园", community=district.community_b)
    alias_suggestion_approve(suggestion=s, actor=district.user("admin"))
    with pytest.raises(ValidationError):
        alias_suggestion_approve(suggestion=s, actor=district.user("admin"))


def test_road_segments_and_suggestions_are_in_the_admin():
    from grids.models import RoadSegment

    assert RoadSegment in site._registry and AliasSuggestion in site._registry
