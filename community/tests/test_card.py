"""便民联系卡: the card's QR decodes to the community's own 一号一码 form, and it prints
the admin's contact list, at A6 and A4."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from community.models import CommunityContact
from web.tests.test_poster_qr import decoded_urls, pdf_images


@pytest.fixture
def contacts(district):
    rows = [
        ("committee", "甲一社区居委会", "010-61234567"),
        ("police", "王警官", "13900001111"),
        ("doctor", "社区卫生站 李医生", "010-61230000"),
    ]
    for i, (role, name, phone) in enumerate(rows):
        CommunityContact.objects.create(community=district.community_a, role=role, name=name, phone=phone, position=i)
    CommunityContact.objects.create(
        community=district.community_b, role="property", name="乙物业", phone="010-69999999"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("size", "points"), [("a6", (297.6, 419.5)), ("a4", (595.3, 841.9))])
def test_the_card_scans_to_its_communitys_form_and_lists_its_contacts(client, district, contacts, size, points):
    client.force_login(district.user("grid_worker_a"))
    response = client.get(f"/community/cards/{district.community_a.code}/{size}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (page,) = PdfReader(io.BytesIO(response.content)).pages
    assert (round(float(page.mediabox.width), 1), round(float(page.mediabox.height), 1)) == points
    urls = [url for img in pdf_images(response.content) for url in decoded_urls(img)]
    assert urls == [f"http://testserver/p/{district.community_a.code}/"]
    text = page.extract_text()
    assert "010-61234567" in text and "13900001111" in text and "010-61230000" in text
    assert "010-69999999" not in text  # another community's line


@pytest.mark.django_db
def test_the_card_follows_the_admins_list(client, district, contacts):
    client.force_login(district.user("supervisor"))
    CommunityContact.objects.filter(phone="13900001111").update(phone="13900002222")
    text = PdfReader(io.BytesIO(client.get("/community/cards/S-A-1/a6.pdf").content)).pages[0].extract_text()
    assert "13900002222" in text and "13900001111" not in text


@pytest.mark.django_db
def test_only_staff_who_print_posters_get_cards(client, district, contacts):
    assert client.get("/community/cards/S-A-1/a6.pdf").status_code == 302  # to the login
    client.force_login(district.user("operator"))
    assert client.get("/community/cards/S-A-1/a6.pdf").status_code == 404
    client.force_login(district.user("supervisor"))
    assert client.get("/community/cards/S-A-1/a5.pdf").status_code == 404
    assert client.get("/community/cards/S-A/a6.pdf").status_code == 404  # a street, not a community
