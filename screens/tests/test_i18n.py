"""The screens app keeps its own English catalogue (screens/locale)."""

import gettext
import re
from pathlib import Path

import pytest

from hotline.tests.test_i18n import read_po
from screens.services import screen_create

LC = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"


def test_catalogue_is_complete_and_compiled():
    entries = [e for e in read_po(LC / "django.po") if e["msgid"]]
    assert entries
    compiled = gettext.GNUTranslations((LC / "django.mo").open("rb"))
    for e in entries:
        assert e["msgstr"] and "fuzzy" not in e["flags"], e["msgid"]
        assert compiled.gettext(e["msgid"]) == e["msgstr"], e["msgid"]


def test_every_template_string_is_in_the_catalogue():
    ids = {e["msgid"] for e in read_po(LC / "django.po")}
    for path in (LC.parents[2] / "templates" / "screens").glob("*.html"):
        for literal in re.findall(r'{% translate ["\']([^"\']+)["\'] %}', path.read_text(encoding="utf-8")):
            assert literal in ids, (path.name, literal)


@pytest.mark.django_db
def test_kiosk_and_center_in_english(client, district):
    _s, token = screen_create(community=district.community_a, name="大厅")
    kiosk = client.get(f"/screens/k/{token}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Notices" in kiosk and "Resolution rate" in kiosk and "No notices" in kiosk
    client.force_login(district.user("supervisor"))
    page = client.get("/screens/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Publish a notice" in page and "Last check-in" in page and "<td>OK</td>" in page
