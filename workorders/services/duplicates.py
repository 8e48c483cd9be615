"""Repeat calls and duplicates: find the orders a new call may already be about, and
attach the call to one of them (补充诉求 / 来电催办) instead of opening another.

One search serves the operator console, the submissions queue and the API: candidates
are the live orders of the last days at the same or a neighbouring place, and the
caller's own open orders; they are ranked by text similarity and place together,
never by category alone (two different problems in one 小区 share a category often).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import User
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rapidfuzz import fuzz

from grids.models import OrgUnit
from grids.selectors import roles_of
from workorders.choices import TERMINAL_STATUSES
from workorders.errors import InvalidInput
from workorders.models import Event, WorkOrder
from workorders.services._common import OrderRef, _pk
from workorders.services.intake import MAX_TEXT, PHONE_RE
from workorders.workflow import Step, transition

DUPLICATE_WINDOW = timedelta(days=7)
CALLER_WINDOW = timedelta(days=30)
# Below this a place-and-text match is not offered; the caller's own open orders are
# offered whatever their score.
MIN_SCORE = 0.45
MIN_TEXT = 0.17  # however near, an order about another problem is not a duplicate
TEXT_WEIGHT, PLACE_WEIGHT = 0.65, 0.35
ATTACH_KINDS = ("supplement", "caller_chase")
_CANDIDATES = 300  # most recent live orders scored when nothing narrows the place
# The candidates' columns the scoring reads (text, place, caller, and the redaction's
# caller name); a candidate's other columns and its category are not read.
_SCORED_FIELDS = (
    "id",
    "number",
    "status",
    "title",
    "description",
    "address",
    "caller_phone",
    "caller_name",
    "caller_confidential",
    "street_id",
    "community_id",
    "grid_id",
    "created_at",
)

# Words every call carries; they make unrelated texts look alike.
_FILLER_RE = re.compile(
    r"来电反映|市民反映|来电人|来电|反映|您好|你好|请尽快处理|请尽快|尽快处理|希望|解决|谢谢|麻烦|处理一下|问题|情况"
)
_NOISE_RE = re.compile(r"[\s\W_]+")


def _normalize(text: str) -> str:
    s = unicodedata.normalize("NFKC", text or "").lower()
    return _NOISE_RE.sub("", _FILLER_RE.sub("", s))


def _bigrams(text: str) -> Counter:
    return Counter(text[i : i + 2] for i in range(len(text) - 1)) if len(text) > 1 else Counter(text)


# Characters that carry no topic: unigram overlap is read over the rest.
_STOP_CHARS = frozenset("的了是有在我家很都把一个也就还又被给和与对着这那里上下人们天好几没不太要说")


def text_similarity(a: str, b: str, *, ignore: tuple[str, ...] = ()) -> float:
    """0–1: cosine over content characters and over character bigrams (Chinese has no
    word spaces; a paraphrase keeps the topic's characters, 摊/电梯/暖气, more often than
    its words), with a little of rapidfuzz's partial ratio for a text inside another.
    ``ignore``: place names removed first; the place is scored on its own, and two
    complaints about one 小区 share its name whatever their problem."""
    return _TextSide(a).similarity(b, ignore=ignore)


def _without(text: str, ignore: tuple[str, ...]) -> str:
    for word in ignore:
        if len(word) >= 2:
            text = text.replace(word, "")
    return text


class _TextSide:
    """One side of text_similarity, normalized and counted once: a duplicate search
    compares one call with up to _CANDIDATES orders, and redoing the call's half for
    each of them was most of the search's time (issue 14). Same arithmetic, in the same
    order, as comparing the two texts afresh."""

    def __init__(self, text: str) -> None:
        self.normalized = _normalize(text)
        self._counted: dict[str, tuple[Counter, float, Counter, float]] = {}

    def _counts(self, na: str) -> tuple[Counter, float, Counter, float]:
        found = self._counted.get(na)
        if found is None:
            uni, bi = Counter(c for c in na if c not in _STOP_CHARS), _bigrams(na)
            found = self._counted[na] = (uni, _norm(uni), bi, _norm(bi))
        return found

    def similarity(self, b: str, *, ignore: tuple[str, ...] = ()) -> float:
        na, nb = _without(self.normalized, ignore), _without(_normalize(b), ignore)
        if not na or not nb:
            return 0.0
        uni_a, uni_norm, bi_a, bi_norm = self._counts(na)
        uni = _cosine_with(uni_a, uni_norm, Counter(c for c in nb if c not in _STOP_CHARS))
        bi = _cosine_with(bi_a, bi_norm, _bigrams(nb))
        partial = fuzz.partial_ratio(na, nb) / 100
        return round(0.45 * uni + 0.45 * bi + 0.1 * partial, 3)


def _norm(c: Counter) -> float:
    return math.sqrt(sum(v * v for v in c.values()))


def _cosine_with(ca: Counter, norm_a: float, cb: Counter) -> float:
    """_cosine(ca, cb) with ``ca``'s norm computed beforehand."""
    dot = sum(v * cb.get(k, 0) for k, v in ca.items())
    norm = norm_a * _norm(cb)
    return dot / norm if norm else 0.0


def _place_words(address: str) -> str:
    from grids.address_text import normalize_address, place_phrase

    return _normalize(place_phrase(normalize_address(address))) if address else ""


@dataclass(frozen=True)
class Place:
    street_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    address: str = ""


def place_similarity(a: Place, b: WorkOrder) -> float:
    if a.grid_id and a.grid_id == b.grid_id:
        return 1.0
    address = 0.0
    if a.address and b.address:
        address = fuzz.ratio(_normalize(a.address), _normalize(b.address)) / 100
        address = address if address >= 0.8 else 0.0
    if a.community_id and a.community_id == b.community_id:
        return max(0.8, address)
    if address:
        return address * 0.9
    if a.street_id and a.street_id == b.street_id:
        return 0.3
    return 0.0


@dataclass
class DuplicateMatch:
    order: WorkOrder
    score: float
    text_score: float
    place_score: float
    same_caller: bool
    reasons: list[str] = field(default_factory=list)


def _place_of(*, address: str, community: OrgUnit | None, grid: OrgUnit | None) -> Place:
    if grid is not None:
        return Place(grid.parent_unit.parent_id, grid.parent_id, grid.pk, address)
    if community is not None:
        return Place(community.parent_id, community.pk, None, address)
    if address:
        from grids.locate import locate_address

        where = locate_address(address)
        if where is not None:
            return Place(
                where.street.pk if where.street else None,
                where.community.pk if where.community else None,
                where.grid.pk if where.grid else None,
                address,
            )
    return Place(address=address)


def work_order_find_duplicates(
    *,
    text: str,
    address: str = "",
    community: OrgUnit | None = None,
    grid: OrgUnit | None = None,
    caller_phone: str = "",
    exclude: WorkOrder | None = None,
    user: User | None = None,
    now: datetime | None = None,
    window: timedelta = DUPLICATE_WINDOW,
    limit: int = 5,
) -> list[DuplicateMatch]:
    """Live orders this call may already be about, best first: the caller's own open
    orders (last 30 days), and orders of the last ``window`` at the same or a nearby
    place whose text is similar. ``user`` limits the search to what they may see.

    A user who reads orders' text redacted (workorders.privacy: everyone but operators)
    is matched only on what they could read: otherwise the search is an oracle, and a
    unit that passes a guessed number (same_caller) or types a name, phone or room into
    the text (text_score) learns which orders in its scope, a confidential caller's
    included, are that person's. For them the caller's number is not used, texts are
    compared in their redacted form and the place by unit only, not by the address as
    typed (it may hold a room number)."""
    from workorders.privacy import UNMASKED_ROLES, redact_order_text
    from workorders.selectors import work_orders_visible_to

    now = now or timezone.now()
    place = _place_of(address=address, community=community, grid=grid)
    phone = (caller_phone or "").strip()
    redacted = user is not None and not (roles_of(user) & UNMASKED_ROLES)
    if redacted:
        phone, place = "", Place(place.street_id, place.community_id, place.grid_id, "")
    base = work_orders_visible_to(user) if user is not None else WorkOrder.objects.all()
    base = base.exclude(status__in=TERMINAL_STATUSES)
    if exclude is not None:
        base = base.exclude(pk=exclude.pk)
    near = Q()
    if place.community_id:
        near |= Q(community_id=place.community_id)
    if place.address:
        near |= Q(address=place.address)
    recent = base.filter(created_at__gte=now - window, created_at__lte=now)
    qs = recent.filter(near) if near else recent
    if len(phone) >= 7:
        qs = qs | base.filter(caller_phone=phone, created_at__gte=now - CALLER_WINDOW, created_at__lte=now)
    # Only what the scoring reads; the few orders offered are loaded whole below.
    rows = list(qs.only(*_SCORED_FIELDS).order_by("-created_at")[:_CANDIDATES])
    matches = []
    ours, our_place = _TextSide(text), _place_words(address)
    place_words: dict[str, str] = {}
    for order in rows:
        same_caller = len(phone) >= 7 and order.caller_phone == phone
        theirs = f"{order.title} {order.description}"
        if redacted:
            theirs = redact_order_text(order, theirs)
        if order.address not in place_words:
            place_words[order.address] = _place_words(order.address)
        ignore = tuple({our_place, place_words[order.address]} - {""})
        t = ours.similarity(theirs, ignore=ignore)
        p = place_similarity(place, order)
        score = TEXT_WEIGHT * t + PLACE_WEIGHT * p
        if not same_caller and (score < MIN_SCORE or t < MIN_TEXT):
            continue
        reasons = []
        if same_caller:
            reasons.append(_("同一来电人的在办工单"))
        if p >= 0.8:
            reasons.append(_("同一网格") if p == 1.0 else _("同一社区或地址"))
        if t >= 0.5:
            reasons.append(_("诉求内容相似（%(p)d%%）") % {"p": round(t * 100)})
        matches.append(DuplicateMatch(order, round(min(1.0, score), 3), t, p, same_caller, reasons))
    # Same caller first only among near ties: a better text-and-place match leads.
    matches.sort(key=lambda m: (-(m.score + (0.15 if m.same_caller else 0)), -m.order.created_at.timestamp()))
    matches = matches[:limit]
    whole = WorkOrder.objects.select_related("category").in_bulk([m.order.pk for m in matches])
    for m in matches:
        m.order = whole.get(m.order.pk, m.order)
    return matches


def work_order_likely_duplicates(*, order: WorkOrder, user: User, limit: int = 5) -> list[DuplicateMatch]:
    """Suspected duplicates of an order already in (a public submission waiting to be
    accepted), by its own text, place and caller: the search a new call gets."""
    return work_order_find_duplicates(
        text=f"{order.title} {order.description}",
        address=order.address,
        community=order.community,
        grid=order.grid,
        caller_phone=order.caller_phone,
        exclude=order,
        user=user,
        limit=limit,
    )


def work_order_attach_call(
    *,
    order: OrderRef,
    actor: User,
    caller_phone: str,
    text: str,
    caller_name: str = "",
    caller_confidential: bool = False,
    chase: bool = False,
    now: datetime | None = None,
) -> WorkOrder:
    """补充诉求 (or 来电催办 with ``chase``): record a further call on an existing order.

    The caller's number, name and words go into the event's payload (personal data:
    pages show them through ``attached_calls_for``, masked as any caller); the note,
    which every timeline shows, stays empty. The order's status and version do not
    change, so whoever is working on it is not interrupted."""
    phone = (caller_phone or "").strip()
    errors = {}
    if not PHONE_RE.match(phone):
        errors["caller_phone"] = _("电话号码格式不正确。") if phone else _("请填写联系电话。")
    if not chase and not (text or "").strip():
        errors["description"] = _("请填写补充的诉求内容。")
    if len(text or "") > MAX_TEXT["description"]:
        errors["description"] = _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {
            "limit": MAX_TEXT["description"],
            "n": len(text),
        }
    if len(caller_name or "") > MAX_TEXT["caller_name"]:
        errors["caller_name"] = _("不能超过 %(limit)d 个字符（现为 %(n)d）。") % {
            "limit": MAX_TEXT["caller_name"],
            "n": len(caller_name),
        }
    if errors:
        raise InvalidInput(errors)

    def change(o: WorkOrder, m, at) -> Step:
        return Step(
            payload={
                "caller_phone": phone,
                "caller_name": (caller_name or "").strip(),
                "caller_confidential": bool(caller_confidential),
                "text": (text or "").strip(),
            }
        )

    return transition(
        order=_pk(order), kind="caller_chase" if chase else "supplement", actor=actor, change=change, now=now
    )


def caller_counts(order_ids: list[int]) -> dict[int, int]:
    """How many different callers each order has: its own, those of calls attached to
    it, and those of submissions merged into it. One query each, for a page of rows."""
    ids = list(order_ids)
    phones: dict[int, set[str]] = {pk: set() for pk in ids}
    anonymous: Counter = Counter()
    for pk, phone in WorkOrder.objects.filter(pk__in=ids).values_list("pk", "caller_phone"):
        phones[pk].add(phone) if phone else anonymous.update([pk])
    for pk, phone in WorkOrder.objects.filter(parent_id__in=ids).values_list("parent_id", "caller_phone"):
        phones[pk].add(phone) if phone else anonymous.update([pk])
    for pk, payload in Event.objects.filter(order_id__in=ids, kind__in=ATTACH_KINDS).values_list("order_id", "payload"):
        phones[pk].add(payload.get("caller_phone", ""))
    return {pk: len(phones[pk] - {""}) + anonymous[pk] for pk in ids}


def attached_calls_for(user: User | None, order: WorkOrder) -> list[dict]:
    """The calls attached to ``order`` as this user may read them, by the one policy of
    workorders.privacy: operators in full; everyone else with number and name masked
    (a confidential caller not identifiable at all) and the caller's words redacted."""
    from workorders.privacy import mask_name, mask_phone, reads_originals, redact_public_text

    full = reads_originals(user, order)
    out = []
    for event in order.events.filter(kind__in=ATTACH_KINDS).order_by("seq"):
        p = event.payload or {}
        secret = bool(p.get("caller_confidential")) or order.caller_confidential
        name, phone, text = p.get("caller_name", ""), p.get("caller_phone", ""), p.get("text", "")
        if not full:
            if secret:
                name = phone = _("（保密）")
            else:
                name, phone = mask_name(name), mask_phone(phone)
            text = redact_public_text(text, caller_name=p.get("caller_name", ""), confidential=secret)
        out.append({"kind": event.kind, "at": event.created_at, "name": name, "phone": phone, "text": text})
    return out
