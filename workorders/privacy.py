"""Who sees a caller's name and number, and how much of it."""

from __future__ import annotations

import re

from django.contrib.auth.models import User
from django.utils.translation import gettext as _

from grids.models import Membership, Role, UnitKind
from grids.selectors import roles_of
from workorders.models import WorkOrder

# Roles that work with residents directly see callers unmasked: operators take the
# calls and make the callbacks. Everyone else sees a masked number and can ask to
# reveal it (an audited event) when the work needs it.
UNMASKED_ROLES = frozenset({Role.OPERATOR})


def mask_phone(phone: str) -> str:
    digits = phone or ""
    if len(digits) >= 7:
        return digits[:3] + "****" + digits[-4:]
    return "****" if digits else ""


def mask_name(name: str) -> str:
    return (name[0] + "*" * max(1, len(name) - 1)) if name else ""


def may_reveal(membership: Membership | None, order: WorkOrder) -> bool:
    if membership is None:
        return False
    # Property companies and utilities are not government: residents complain to the
    # hotline about them, so their staff never learn who called (they work the order
    # through its text, redacted, and the community; the callback is the center's).
    if membership.unit.kind == UnitKind.PROPERTY:
        return False
    # Confidential callers are hidden from the handling side entirely, and from the
    # admins, whose work (units, people, categories) never needs them.
    return not (order.caller_confidential and membership.role in {Role.HANDLER, Role.SUPERVISOR, Role.ADMIN})


def caller_for(user: User | None, order: WorkOrder) -> dict:
    """The caller as this user may see them: {name, phone, masked, confidential}."""
    roles = roles_of(user) if user is not None else set()
    if roles & UNMASKED_ROLES:
        return {
            "name": order.caller_name,
            "phone": order.caller_phone,
            "masked": False,
            "confidential": order.caller_confidential,
        }
    if order.caller_confidential:
        return {"name": _("（保密）"), "phone": _("（保密）"), "masked": True, "confidential": True}
    return {
        "name": mask_name(order.caller_name),
        "phone": mask_phone(order.caller_phone),
        "masked": True,
        "confidential": False,
    }


# --- redacting free text for public output ---------------------------------------------
#
# Residents type personal data into descriptions ("我是张三，电话13812345678，住3号楼2单元501")
# and handlers into replies. Whatever leaves the building without an account — Open311,
# the resident's tracking page and its API — goes through redact_public_text() first.
# The rules, in the order they are tried at each position of the text:
#
# - e-mail addresses                                   → [邮箱]
# - 18-digit ID card numbers (last digit may be X)     → [身份证号]
# - other runs of 15-19 digits (old 15-digit IDs, bank cards) → [号码]
#   Order numbers are 14 digits (date + sequence) and stay.
# - 400/800 numbers are kept: they are companies' service lines, not a person's, and a
#   resident complaining about a company often names its hotline.
# - mobile numbers (with or without +86 and separators) → 138****5678, the masked form
#   staff already know; three + four digits left say nothing about the subscriber.
# - landlines with an area code (010-12345678, (0755)1234567, 转 extension) → [电话]
# - landlines without one (7-8 digits, 2-8 first) → [电话], except dates (20261123) and
#   amounts or quantities (3500000元, 2000000平方米), which the unit after them gives away.
# - vehicle plates (京A12345, 粤B·D12345 new-energy) → [车牌]: a plate names its owner.
# - the household part of an address → [门牌]: the room after a unit (2单元501), after a
#   building (3号楼501, 3栋501室, 1门302), a room with 室/房 (501室), and the
#   building-unit-room shorthand (3-2-501). The building and unit stay ("3号楼2单元门口
#   堆满垃圾" must still say where), as do road numbers (和平路88号): those locate a
#   problem, not a household.
# - the order's own caller name, wherever it appears, and their surname followed by
#   先生/女士/小姐 → [姓名]. Other people's names cannot be found reliably and are not
#   attempted; a one-character name is not replaced (it would hit ordinary words).

_PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_REDACT_RE = re.compile(
    "|".join(
        [
            r"(?P<email>[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
            r"(?P<idcard>(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z]))",
            r"(?P<longnum>(?<![0-9A-Za-z])\d{15,19}(?![0-9A-Za-z]))",
            r"(?P<service>(?<![\d-])[48]00[- ]?\d{3}[- ]?\d{4}(?!\d))",
            r"(?P<mobile>(?<![\d+])(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d))",
            r"(?P<landline>(?<!\d)(?:[(（]0\d{2,3}[)）]|0\d{2,3})[- ]?[1-9]\d{2,3}[- ]?\d{4}"
            r"(?:\s*(?:转|分机|ext\.?|-)\s*\d{1,6})?(?!\d))",
            rf"(?P<plate>(?i:[{_PLATE_PROVINCES}][A-HJ-NP-Z][·•.\s]?[A-HJ-NP-Z0-9]{{4,5}}[A-HJ-NP-Z0-9挂学警])"
            r"(?![A-Za-z0-9]))",
            r"(?P<room>(?:(?<=单元)|(?<=号楼)|(?<=[栋幢座])|(?<=\d门))\s*\d{2,5}(?!\d)"
            r"(?!\s*(?:单元|楼|层|栋|幢|座|门|号楼|号院))\s*(?:室|号|户|房)?"
            r"|(?<![\d.-])\d{1,3}\s*-\s*\d{1,2}\s*-\s*\d{2,5}(?![\d-])"
            r"|(?<![\d.])\d{3,5}\s*(?:室|房间?)(?![子屋产东租价]))",
            r"(?P<local>(?<![\d.])"
            r"(?!(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d))"
            r"[2-8]\d{2,3}[- ]?\d{4}(?![\d.])"
            r"(?!\s*(?:元|块|万|千|百|亿|平|米|㎡|m|k|人|户|次|个|辆|吨|斤|公斤|千克|年|天|%|％)))",
        ]
    )
)
_HONORIFICS = ("先生", "女士", "小姐")


def _placeholders() -> dict[str, str]:
    # Translated when used: Open311 and the tracking page answer in the request's language.
    return {
        "email": _("[邮箱]"),
        "idcard": _("[身份证号]"),
        "longnum": _("[号码]"),
        "landline": _("[电话]"),
        "local": _("[电话]"),
        "plate": _("[车牌]"),
        "room": _("[门牌]"),
    }


def _name_pattern(name: str) -> re.Pattern | None:
    """The caller's name as typed with or without spaces (Open311 joins "张 三"), and
    their surname with an honorific."""
    compact = re.sub(r"\s+", "", name or "")
    if len(compact) < 2:
        return None
    spaced = r"\s*".join(re.escape(c) for c in compact)
    alternatives = [spaced]
    if "\u4e00" <= compact[0] <= "\u9fff":
        alternatives.append(re.escape(compact[0]) + "(?:" + "|".join(_HONORIFICS) + ")")
    return re.compile("|".join(alternatives), re.IGNORECASE)


def redact_public_text(text: str, *, caller_name: str = "", confidential: bool = False) -> str:
    """``text`` with the personal data listed above replaced, for output to anyone
    without an account. ``caller_name`` is the order's caller, removed where it appears.
    ``confidential`` (a 保密 caller): mobile numbers become [电话] too, since even the
    masked form's seven digits help to pick a person out."""
    if not text:
        return ""
    names = _name_pattern(caller_name)
    if names is not None:
        text = names.sub(_("[姓名]"), text)

    def replace(match: re.Match) -> str:
        kind = match.lastgroup or ""  # every alternative of the pattern is a named group
        if kind == "service":
            return match.group(0)
        if kind == "mobile":
            if confidential:
                return _placeholders()["landline"]
            return mask_phone(re.sub(r"\D", "", match.group(0))[-11:])
        # Translated on a match only: most texts have none, and a ledger export redacts
        # four texts per row (seven gettext calls each were a sixth of its time).
        return _placeholders()[kind]

    return _REDACT_RE.sub(replace, text)


def redact_order_text(order: WorkOrder, text: str) -> str:
    """redact_public_text for one of ``order``'s texts (description, title, reply…)."""
    return redact_public_text(text, caller_name=order.caller_name, confidential=order.caller_confidential)


# --- who reads residents' words as typed: the one policy ---------------------------------
#
# Operators took the call and call the resident back: they read everything as typed.
# Everyone else (dispatchers routing and reviewing, handling units, supervisors, grid
# workers, admins, and every file or SMS that leaves the system) reads the free text of
# an order (title, description, address, reply, the notes in its timeline, co-handling
# reports and extension reasons) through redact_public_text: the caller's name, phone
# numbers, ID numbers, plates and the household part of addresses replaced. That holds
# for every caller, since units see personal data masked unless their role needs it;
# for a confidential (保密) caller there is additionally no way round it. A user whose
# role may read a non-confidential caller's number (may_reveal) gets the originals of
# that order after the audited reveal, like the number itself. Grid workers read even
# their own reports redacted: a resident's number they typed on patrol is the resident's,
# and the report's receipt (number, status) is what they come back for.

ORDER_TEXT_FIELDS = ("title", "description", "address", "reply")


def reads_originals(user: User | None, order: WorkOrder, *, revealed: bool = False) -> bool:
    """Whether ``user`` sees ``order``'s free text as typed (else redacted). ``revealed``:
    the user has just revealed the caller through the audited event."""
    if user is None or not user.is_authenticated:
        return False
    if roles_of(user) & UNMASKED_ROLES:
        return True
    return revealed


def order_text(user: User | None, order: WorkOrder, text: str, *, field: str = "", revealed: bool = False) -> str:
    """One piece of ``order``'s free text (a field's value, a note, a report) as ``user``
    may read it. ``field`` names the order field it comes from, if any (the policy is
    the same for all of them today; the name keeps call sites explicit)."""
    if not text or reads_originals(user, order, revealed=revealed):
        return text or ""
    return redact_order_text(order, text)


# A search may only find an order by what the searcher could read on it: otherwise a
# unit searching for a resident's name or number would learn which orders mention it.
# For a searcher who reads redacted text, a query that is itself personal data (a phone,
# an ID number, a plate, a room) or a run of 3+ digits matches order numbers only, and an
# order whose caller's name overlaps the query is never matched by its text.
_DIGITS_RE = re.compile(r"\d{3,}")
MAX_SEARCH = 40


def text_search_q(
    user: User | None,
    value: str,
    *,
    fields: tuple[str, ...] = ("title", "description", "address"),
    number_contains: bool = False,
):
    """The condition for a free-text search ``value`` by ``user`` (a Q); order numbers
    match whole, or in part with ``number_contains`` (they are not personal data)."""
    from django.db.models import Q

    value = value.strip()[:MAX_SEARCH]
    by_number = Q(number__icontains=value) if number_contains else Q(number=value)
    text = Q()
    for f in fields:
        text |= Q(**{f"{f}__icontains": value})
    if user is not None and user.is_authenticated and roles_of(user) & UNMASKED_ROLES:
        return by_number | text
    if _DIGITS_RE.search(value) or redact_public_text(value) != value:
        return by_number
    compact = re.sub(r"\s+", "", value)
    pieces = {compact[i:j] for i in range(len(compact)) for j in range(i + 2, len(compact) + 1)}
    overlaps = Q(caller_name__icontains=compact) if len(compact) >= 1 else Q()
    if pieces:
        overlaps |= Q(caller_name__in=pieces)
    for honorific in _HONORIFICS:
        at = compact.find(honorific)
        if at > 0:
            overlaps |= Q(caller_name__startswith=compact[at - 1])
    return by_number | (text & ~overlaps)
