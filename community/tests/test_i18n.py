"""The community app's own English catalogue: complete, compiled, and in use."""

from pathlib import Path

import pytest
from django.utils import translation

from community.models import EmergencyLine
from hotline.tests.test_i18n import CJK, PLACEHOLDER, read_po
from workorders.choices import Channel
from workorders.transitions import TRANSITIONS

PO = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    yield
    translation.deactivate()


def test_catalogue_is_complete_and_compiled():
    import gettext

    entries = [e for e in read_po(PO) if e["msgid"]]
    assert entries and not [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    for e in entries:
        text = e.get("msgstr") or e.get("msgstr[0]", "")
        assert text.strip() and not CJK.search(text), e["msgid"]
        assert sorted(PLACEHOLDER.findall(e["msgid"])) == sorted(PLACEHOLDER.findall(text)), e["msgid"]
    with PO.with_suffix(".mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    assert not [e["msgid"] for e in entries if "msgstr" in e and mo.gettext(e["msgid"]) != e["msgstr"]]


def test_labels_in_english():
    with translation.override("en"):
        assert str(Channel.SENSOR.label) == "Monitoring system"
        assert str(Channel.UPSTREAM.label) == "Handed down (city 12345)"
        assert str(TRANSITIONS["transfer_emergency"].label) == "Transfer to emergency line"
        assert str(EmergencyLine.FIRE.label) == "119 Fire"


@pytest.mark.django_db
def test_the_revisit_page_in_english(client, district):
    from hotline.tests.test_i18n import untranslated, visible_text

    client.force_login(district.user("operator"))
    html = client.get("/community/revisits/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    parts = visible_text(html)
    assert "Revisit rate" in parts and "Revisits" in parts
    assert not untranslated(parts)
