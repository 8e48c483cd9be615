"""English catalogue: msgids are the Chinese source strings, English comes from
locale/en/LC_MESSAGES/django.po (compiled to django.mo, both committed)."""

import gettext
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from grids.models import Role, UnitKind
from workorders.choices import Satisfaction, Status
from workorders.transitions import TRANSITIONS

LC_MESSAGES = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
PLACEHOLDER = re.compile(r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[a-zA-Z]|%[-#0 +]*\d*(?:\.\d+)?[sdif]|\{[^{}]*\}")
# Language names in the switcher are shown in their own language on purpose.
NATIVE_NAMES = {"简体中文"}


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), s.strip()[1:-1])


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file as {"msgid", "msgstr", "flags"}; enough for Django's catalogues."""
    entries, cur, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if cur is not None and "msgid" in cur:
                entries.append(cur)
            cur, key = None, None
            continue
        cur = cur if cur is not None else {"flags": set()}
        if line.startswith("#~"):
            cur["obsolete"] = True
        elif line.startswith("#,"):
            cur["flags"] |= {f.strip() for f in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            cur[key] += _unquote(line)
        else:
            key, _, value = line.partition(" ")
            cur[key] = _unquote(value)
    return [e for e in entries if not e.get("obsolete")]


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    # Requests with Accept-Language: en activate English for the whole thread (LocaleMiddleware
    # never deactivates); put the default back so later tests see Chinese.
    yield
    translation.deactivate()


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return read_po(LC_MESSAGES / "django.po")


def test_core_labels_in_english():
    with translation.override("en"):
        assert str(Status.SUBMITTED.label) == "Awaiting acceptance"
        assert str(Status.ACCEPTED.label) == "Awaiting dispatch"
        assert str(Status.CALLBACK.label) == "Awaiting callback"
        assert str(Status.CLOSED.label) == "Closed"
        assert str(Role.OPERATOR.label) == "Operator"
        assert str(Role.GRID_WORKER.label) == "Grid worker"
        assert str(UnitKind.STREET.label) == "Street office"
        assert str(Satisfaction.BASIC.label) == "Basically satisfied"
        assert str(TRANSITIONS["assign"].label) == "Dispatch"
        assert str(TRANSITIONS["reply"].label) == "Report completion"
        # Same Chinese words, different meanings, told apart by message context:
        assert str(Role.SUPERVISOR.label) == "Supervisor" and str(TRANSITIONS["urge"].label) == "Urge"
        assert str(TRANSITIONS["reject"].label) == "Reject" and str(Status.REJECTED.label) == "Rejected"


def test_default_language_is_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    with translation.override(settings.LANGUAGE_CODE):
        assert str(Status.ACCEPTED.label) == "待派单"
        assert str(Role.OPERATOR.label) == "话务员"
        assert str(TRANSITIONS["assign"].label) == "派单"


class _VisibleText(HTMLParser):
    """Text a user sees: element text, titles and accessible labels (not scripts/styles)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style"}:
            self._skip += 1
        self.parts += [v for k, v in attrs if k in {"aria-label", "placeholder", "title", "alt"} and v]

    def handle_endtag(self, tag):
        if tag in {"script", "style"}:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> list[str]:
    parser = _VisibleText()
    parser.feed(html)
    return parser.parts


def untranslated(parts: list[str]) -> list[str]:
    return [p for p in parts if CJK.search(p) and p not in NATIVE_NAMES]


@pytest.mark.django_db
def test_login_page_in_english(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    parts = visible_text(html)
    for label in ("Log in · Hotline", "12345 Citizen Hotline", "Log in", "Username", "Password", "Language"):
        assert label in parts
    assert not untranslated(parts)


@pytest.mark.django_db
def test_login_error_in_english(client):
    response = client.post("/accounts/login/", {"username": "nobody", "password": "wrong"}, HTTP_ACCEPT_LANGUAGE="en")
    parts = visible_text(response.content.decode())
    assert "Incorrect username or password." in parts
    assert not untranslated(parts)


@pytest.mark.django_db
def test_login_page_in_chinese_by_default(client):
    parts = visible_text(client.get("/accounts/login/").content.decode())
    assert "登录" in parts
    assert "Log in" not in parts


def test_catalogue_is_complete(catalogue):
    header = [e for e in catalogue if e["msgid"] == ""]
    assert len(header) == 1 and "Language: en\n" in header[0]["msgstr"]
    assert not [e["msgid"] for e in catalogue if "fuzzy" in e["flags"]]
    chinese = [e for e in catalogue if CJK.search(e["msgid"])]
    assert len(chinese) > 300
    assert not [e["msgid"] for e in chinese if not e["msgstr"].strip()]
    assert not [e["msgid"] for e in chinese if CJK.search(e["msgstr"])]
    mismatched = [
        e["msgid"]
        for e in chinese
        if sorted(PLACEHOLDER.findall(e["msgid"])) != sorted(PLACEHOLDER.findall(e["msgstr"]))
    ]
    assert not mismatched


def test_compiled_catalogue_matches_po(catalogue):
    """django.mo was recompiled after the last edit of django.po."""
    with (LC_MESSAGES / "django.mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)

    def compiled(e):
        return mo.pgettext(e["msgctxt"], e["msgid"]) if "msgctxt" in e else mo.gettext(e["msgid"])

    stale = [e["msgid"] for e in catalogue if e["msgid"] and e["msgstr"] and compiled(e) != e["msgstr"]]
    assert not stale
