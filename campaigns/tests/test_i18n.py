"""The campaigns app keeps its own English catalogue (campaigns/locale)."""

import gettext
from pathlib import Path

from django.urls import reverse

from hotline.tests.test_i18n import read_po

LC = Path(__file__).resolve().parents[1] / "locale" / "en" / "LC_MESSAGES"


def test_catalogue_is_complete_and_compiled():
    entries = [e for e in read_po(LC / "django.po") if e["msgid"]]
    assert entries
    compiled = gettext.GNUTranslations((LC / "django.mo").open("rb"))
    for e in entries:
        if "msgid_plural" in e:
            assert e.get("msgstr[0]") and e.get("msgstr[1]"), e["msgid"]
            continue
        assert e["msgstr"] and "fuzzy" not in e["flags"], e["msgid"]
        assert compiled.gettext(e["msgid"]) == e["msgstr"], e["msgid"]


def test_every_template_string_is_in_the_catalogue(tmp_path):
    # xgettext over the templates would need Django's makemessages; a cheap check instead:
    # each {% translate "…" %} literal of our templates has an entry.
    import re

    ids = {e["msgid"] for e in read_po(LC / "django.po")}
    for path in (LC.parents[2] / "templates" / "campaigns").glob("*.html"):
        for literal in re.findall(r'{% translate ["\']([^"\']+)["\'] %}', path.read_text(encoding="utf-8")):
            assert literal in ids, (path.name, literal)


def test_board_in_english(client, district, orders, campaign):
    client.force_login(district.user("supervisor"))
    body = client.get(reverse("campaigns:board", args=[campaign.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "In scope" in body and "Overdue now" in body and "10 days left" in body and "To target" in body
