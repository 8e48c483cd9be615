"""Free-text address → street / community / grid, with a confidence and the evidence.

The gazetteer is everything the district knows by name: its streets and communities
(formal "望江社区", "望江社区居委会" and the bare "望江"), the estates residents name
(AddressAlias: 小区 names, and road + number), and its roads with house-number ranges
(RoadSegment). ``address_resolve`` normalises the text (address_text), then looks for
each name exactly, by pinyin (homophones typed through an IME) and by edit similarity
(typos), parses road + house number against the ranges, and refuses what it cannot
place: words of other districts and cities, roads the district does not have, or a
best score too low to act on come back as "outside" or "unknown", never as a guess.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max
from rapidfuzz import fuzz

from grids.address_text import foreign_place_words, normalize_address, pinyin_key
from grids.models import AddressAlias, OrgUnit, RoadSegment, UnitKind

PLACED, OUTSIDE, UNKNOWN = "placed", "outside", "unknown"
# Below this the resolver says "unknown" rather than place the order: a wrong community
# sends the order to the wrong street, which costs more than a dispatcher's look.
MIN_CONFIDENCE = 0.6

_COMMUNITY_SUFFIXES = ("社区居委会", "社区居民委员会", "居民委员会", "居委会", "村委会", "社区")
_ESTATE_SUFFIXES = ("小区",)
_ROAD_RE = re.compile(r"^(.+?(?:大街|大道|胡同|路|街|巷|道))(\d+)号$")
# A road with a number in the text: "<2-6 chars>路<digits>". Used only to notice that the
# address names a road the district does not have.
_ANY_ROAD_RE = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:大街|大道|胡同|路|街|巷))(\d+)号?")
_NUMBER_AFTER_RE = re.compile(r"^(\d+)(?:号|号院|弄)?")
# A name followed by one of these is the start of a road's name ("新华" in 新华北路,
# "和平里" in 和平里北街), not the estate or community: 路口/路边/街上 are not roads.
_ROAD_TAIL_RE = re.compile(
    r"^[东西南北中]?[一二三四五六七八九十]?(?:大街|大道|胡同|路(?![口边旁上对])|街(?![口边旁上对])|巷|条)"
)
# What may follow a two-character name (a community's bare name: 和平, 新华, 阳光) for it
# to be the whole name and not a fragment of a longer one (和平门, 新华书店, 阳光100国际新城):
# the end, a house number, the community/estate word, or where-about words.
_WHOLE_TOKEN_TAIL_RE = re.compile(
    r"^(?:$|\d+(?:号|单元|室|层|楼|栋|幢|座|弄|-|#|$)|[a-z]\d*(?:号楼|座|栋)"
    r"|社区|居委会|居民委员会|村委会|小区|附近|旁|对面|门口|周边|周围|一带|片区|那|这|里面|的|边上"
    r"|[东西南北]门|大门|正门|后门|侧门|楼下|底商|[一二三四五六七八九十\d]期|[东西南北中]区)"
)
# A homophone or typo of a two-character name says little on its own (白河 sounds like
# 百合): it counts only when the text says what kind of place it is.
_KIND_TAIL_RE = re.compile(r"^(?:社区|居委会|居民委员会|村委会|小区)")
# Words that say what kind of place a name is. A typo that turns one into another is
# another place: 柳荫公园 is a park, not a typo of the estate 柳荫家园.
_PLACE_KIND_WORDS = frozenset(
    ("家园", "花园", "公园", "新村", "小区", "公寓", "大厦", "广场", "商场", "新城", "雅苑", "嘉园", "佳园")
    + ("名苑", "东村", "西村", "南村", "北村", "医院", "学校", "小学", "中学", "市场", "中心", "大楼")
)
_ADMIN_SUFFIXES = ("省", "自治区", "市", "区", "县", "旗", "镇", "乡", "街道")


@dataclass(frozen=True)
class Name:
    text: str  # normalised
    kind: str  # "alias" | "community" | "road"
    community: OrgUnit | None
    grid: OrgUnit | None
    weight: float
    label: str  # as shown in evidence
    key: str = ""  # pinyin key


@dataclass
class Resolution:
    status: str
    address: str
    normalized: str
    street: OrgUnit | None = None
    community: OrgUnit | None = None
    grid: OrgUnit | None = None
    confidence: float = 0.0
    method: str = ""
    evidence: list[str] = field(default_factory=list)

    @property
    def placed(self) -> bool:
        return self.status == PLACED


@dataclass
class _Candidate:
    community: OrgUnit
    grid: OrgUnit | None
    score: float
    method: str
    evidence: str


class _Gazetteer:
    """Names and road ranges loaded once per process and rebuilt when the tables change
    (one aggregate query at most every STALE_AFTER seconds, as grids.locate does)."""

    STALE_AFTER = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stamp: tuple | None = None
        self._checked_at = 0.0
        self.names: list[Name] = []
        self.streets: list[tuple[str, str, OrgUnit]] = []
        self.roads: dict[str, list[RoadSegment]] = {}
        self.road_communities: dict[str, dict[int, Name]] = {}
        self.own_words: tuple[str, ...] = ()
        self.district_words: tuple[str, ...] = ()
        self.own_admin_keys: tuple[str, ...] = ()

    def reset(self) -> None:
        with self._lock:
            self._stamp, self._checked_at = None, 0.0

    def _current_stamp(self) -> tuple:
        units = OrgUnit.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        aliases = AddressAlias.objects.aggregate(n=Count("id"), m=Max("id"))
        roads = RoadSegment.objects.aggregate(n=Count("id"), t=Max("updated_at"))
        return (units["n"], units["t"], aliases["n"], aliases["m"], roads["n"], roads["t"])

    def current(self) -> _Gazetteer:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at > self.STALE_AFTER:
                stamp = self._current_stamp()
                if stamp != self._stamp:
                    self._rebuild()
                    self._stamp = stamp
                self._checked_at = now
        return self

    def _rebuild(self) -> None:
        names: list[Name] = []
        streets: list[tuple[str, OrgUnit]] = []
        own: set[str] = set()
        district: set[str] = set()
        units = list(OrgUnit.objects.filter(is_active=True).select_related("parent"))
        grids_of: dict[int, list[OrgUnit]] = {}
        for unit in units:
            if unit.kind == UnitKind.GRID and unit.parent_id:
                grids_of.setdefault(unit.parent_id, []).append(unit)
        for unit in units:
            if unit.kind == UnitKind.CENTER:
                # "滨河区12345市民服务热线中心" → 滨河区: the district's own name.
                m = re.match(r"^(.{2,6}?(?:区|县|市))", unit.name)
                if m:
                    district.add(m.group(1))
            elif unit.kind == UnitKind.STREET:
                own.add(normalize_address(unit.name))
                streets.append((normalize_address(unit.name), unit))
            elif unit.kind == UnitKind.COMMUNITY:
                full = normalize_address(unit.name)
                core = full
                for suffix in _COMMUNITY_SUFFIXES:
                    if core.endswith(suffix) and len(core) > len(suffix) + 1:
                        core = core[: -len(suffix)]
                        break
                only_grid = grids_of.get(unit.pk, [])
                grid = only_grid[0] if len(only_grid) == 1 else None
                own.add(full)
                for text in {full, core + "居委会", core + "社区居委会"}:
                    names.append(Name(text, "community", unit, grid, 0.95, unit.name))
                names.append(Name(core, "community", unit, grid, 0.85 if len(core) >= 3 else 0.8, unit.name))
        community_by_id = {u.pk: u for u in units if u.kind == UnitKind.COMMUNITY}
        grid_by_id = {u.pk: u for u in units if u.kind == UnitKind.GRID}
        road_communities: dict[str, dict[int, Name]] = {}
        for alias in AddressAlias.objects.all().only("alias", "community_id", "grid_id"):
            community = community_by_id.get(alias.community_id)
            if community is None:
                continue
            grid = grid_by_id.get(alias.grid_id) if alias.grid_id else None
            text = normalize_address(alias.alias)
            road = _ROAD_RE.match(text)
            if road:  # "和平路88号": the road is known in this community even without ranges
                road_communities.setdefault(road.group(1), {})[community.pk] = Name(
                    road.group(1), "road", community, grid, 0.75, alias.alias
                )
            names.append(Name(text, "alias", community, grid, 1.0, alias.alias))
            for suffix in _ESTATE_SUFFIXES:
                if text.endswith(suffix) and len(text) - len(suffix) >= 2:
                    names.append(Name(text[: -len(suffix)], "alias", community, grid, 0.9, alias.alias))
        roads: dict[str, list[RoadSegment]] = {}
        for seg in RoadSegment.objects.all():
            seg_community = community_by_id.get(seg.community_id)
            if seg_community is None:
                continue
            seg.community = seg_community
            seg.grid = grid_by_id.get(seg.grid_id) if seg.grid_id else None
            key = normalize_address(seg.road)
            roads.setdefault(key, []).append(seg)
            road_communities.setdefault(key, {}).setdefault(
                seg.community_id, Name(key, "road", seg.community, None, 0.7, seg.road)
            )
        for road_key in road_communities:
            names.append(Name(road_key, "road", None, None, 1.0, road_key))
        self.names = [
            Name(n.text, n.kind, n.community, n.grid, n.weight, n.label, pinyin_key(n.text)) for n in names if n.text
        ]
        self.roads = roads
        self.streets = [(text, pinyin_key(text), unit) for text, unit in streets]
        self.road_communities = road_communities
        self.own_words = tuple(own | district | {n.text for n in self.names if len(n.text) >= 3})
        self.district_words = tuple(district)
        # Pinyin keys of the district's own administrative names: 宾河区 typed through an
        # IME is 滨河区, not another district; 滨海区 is another district.
        self.own_admin_keys = tuple(
            pinyin_key(w) for w in district | {text for text, _ in streets} | own if len(w) >= 3
        )


_gazetteer = _Gazetteer()


def reset_gazetteer() -> None:
    """Forget the loaded gazetteer (tests, or right after a bulk import)."""
    _gazetteer.reset()


def _match(name: Name, text: str, text_key: str, chars: frozenset, keys: frozenset) -> tuple[float, str, int] | None:
    """(score 0–1, how, end position in text) for the best occurrence of ``name``.
    ``chars``/``keys``: the text's character and key sets, for a cheap rejection of the
    names that cannot reach the cut-offs below before rapidfuzz aligns them."""
    pos = text.find(name.text)
    if pos >= 0:
        return 1.0, "exact", pos + len(name.text)
    n = len(name.text)
    missing_keys = sum(1 for k in name.key if k not in keys)
    missing_chars = sum(1 for c in name.text if c not in chars)
    if missing_keys > (0 if n <= 6 else 1) and missing_chars > 1:
        return None
    # partial_ratio aligns the shorter string inside the longer: a name longer than the
    # text would "match" any fragment of itself ("望江路" inside alias "望江路101号").
    if n < 2 or n > len(text):
        return None
    # Homophones: the same syllables. Two-syllable names must match whole.
    if len(name.key) >= 2:
        hit = fuzz.partial_ratio_alignment(name.key, text_key, score_cutoff=100 if len(name.key) <= 2 else 85)
        if hit is not None:
            return 0.92 * hit.score / 100, "pinyin", _key_end(text, hit.dest_end)
    # Typos: one wrong character in a name of five or more; in a four-character name
    # only past its first two (the distinctive part: 金桥花园 must not match 金色花园).
    # Road names are not typo-matched: 科技一路 and 科技二路 are different roads.
    if n >= 4 and name.kind != "road":
        hit = fuzz.partial_ratio_alignment(name.text, text, score_cutoff=74 if n == 4 else 80)
        if hit is not None:
            if n == 4 and text[hit.dest_start : hit.dest_start + 2] != name.text[:2]:
                return None
            # A typo swaps a character (the IME offered the wrong one); it does not
            # insert one: 朝阳门外大街 is another street, not a typo of 朝阳门大街.
            window = text[hit.dest_start : hit.dest_start + n]
            if sum(a == b for a, b in zip(window, name.text, strict=False)) < n - 1:
                return None
            if window[-2:] != name.text[-2:] and window[-2:] in _PLACE_KIND_WORDS:
                return None
            return 0.85 * hit.score / 100, "typo", hit.dest_end
    return None


def _key_end(text: str, key_end: int) -> int:
    """Map an end offset in the pinyin key back to the text (one key char per char)."""
    return min(key_end, len(text))


def _road_candidates(gaz: _Gazetteer, road: str, how: str, score: float, rest: str) -> list[_Candidate]:
    number_m = _NUMBER_AFTER_RE.match(rest)
    number = int(number_m.group(1)) if number_m else None
    segments = gaz.roads.get(road, [])
    shown = f"{road}{number}号" if number is not None else road
    out: list[_Candidate] = []
    if number is not None and segments:
        hits = [s for s in segments if s.covers(number)]
        if hits:
            for seg in hits:
                out.append(
                    _Candidate(
                        seg.community,
                        seg.grid,
                        score,
                        "road",
                        f"门牌「{shown}」在{seg.road}{seg.start}–{seg.end}号段 → {seg.community.name}",
                    )
                )
            return out
        nearest = min(segments, key=lambda s: min(abs(number - s.start), abs(number - s.end)))
        return [
            _Candidate(
                nearest.community,
                None,
                score * 0.7,
                "road",
                f"门牌「{shown}」超出已知号段，按最近号段归入 {nearest.community.name}",
            )
        ]
    communities = gaz.road_communities.get(road, {})
    for name in communities.values():
        if name.community is None:
            continue  # never: a road's names are built from its segments' communities
        share = 1.0 if len(communities) == 1 else 0.6
        out.append(
            _Candidate(
                name.community,
                name.grid if len(communities) == 1 else None,
                score * name.weight * share,
                "road",
                f"道路「{road}」属 {name.community.name}",
            )
        )
    return out


def address_resolve(address: str) -> Resolution:
    """Resolve a free-text address against the gazetteer. Never raises on odd input."""
    normalized = normalize_address(address)
    result = Resolution(status=UNKNOWN, address=address or "", normalized=normalized)
    if not normalized:
        return result
    gaz = _gazetteer.current()
    text = normalized
    for word in gaz.district_words:  # "滨河区望江路" — the district's own name says nothing more
        text = text.replace(word, "")
    mentions_district = len(text) != len(normalized)
    for word in _city_words():  # "北京市新华路…": the district's own city, not a place elsewhere
        if text.startswith(word):
            text = text[len(word) :]
            break
    foreign = [w for w in foreign_place_words(text, own=gaz.own_words) if not _own_homophone(gaz, w)]
    if mentions_district:  # "北京市滨河区…": the city above the district is not foreign
        foreign = [w for w in foreign if not w.endswith(("市", "省")) and len(w) > 2]
    if foreign:
        result.status = OUTSIDE
        word = foreign[0]
        if word.endswith(_ADMIN_SUFFIXES):
            result.evidence.append(f"明确写明其他区/市：「{word}」不是本区的区、街道或社区")
        else:
            result.evidence.append(f"含本区以外的地名「{word}」")
        return result
    text_key = pinyin_key(text)
    chars, keys = frozenset(text), frozenset(text_key)
    candidates: list[_Candidate] = []
    road_seen = False
    fragments: list[str] = []
    for name in gaz.names:
        hit = _match(name, text, text_key, chars, keys)
        if hit is None:
            continue
        score, how, end = hit
        if name.kind != "road":
            why = _fragment_of_longer_name(name, how, text, end)
            if why:
                fragments.append(why)
                continue
        how_zh = {"exact": "", "pinyin": "（同音）", "typo": "（近似）"}[how]
        if name.kind == "road":
            road_seen = True
            candidates += _road_candidates(gaz, name.text, how, score, text[end:])
            continue
        if name.community is None:
            continue  # only road names have none, handled above
        score *= name.weight
        if name.kind == "alias":
            evidence = f"匹配小区「{name.label}」{how_zh}→ {name.community.name}"
        else:
            evidence = f"匹配社区「{name.label}」{how_zh}"
        candidates.append(_Candidate(name.community, name.grid, score, name.kind, evidence))
    if not candidates:
        street = _street_only(gaz, text, text_key)
        if street is not None:  # "滨河街道办事处": the street is known, the community is not
            result.status, result.street, result.confidence, result.method = PLACED, street, 0.7, "street"
            result.evidence.append(f"匹配街道「{street.name}」，未能确定社区")
            return result
        other_road = _ANY_ROAD_RE.search(text)
        if other_road and not road_seen:
            result.status = OUTSIDE
            result.evidence.append(f"道路「{other_road.group(1)[-4:]}」不在本区地名库中")
        else:
            result.evidence.append("未匹配到本区的小区、社区或道路")
        result.evidence += fragments[:1]
        return result
    return _decide(result, candidates)


def _city_words() -> tuple[str, ...]:
    """The district's city as residents write it at the head of an address: 北京市, 北京."""
    city = normalize_address(settings.HOTLINE_CITY)
    if not city:
        return ()
    bare = re.sub(r"(?:市|省)$", "", city)
    return tuple(dict.fromkeys(w for w in (city, bare) if len(w) >= 2))


def _own_homophone(gaz: _Gazetteer, word: str) -> bool:
    """Whether a qualifier is one of the district's own names typed as a homophone."""
    key = pinyin_key(word)
    return any(key.endswith(own) for own in gaz.own_admin_keys)


def _fragment_of_longer_name(name: Name, how: str, text: str, end: int) -> str:
    """Why the match of ``name`` ending at ``end`` is part of a longer name and not the
    name itself ("" when it is the name). A community's bare name and an estate's name
    are common words in place names all over the city: 新华 in 新华北路 or 新华书店, 和平
    in 和平门, 和平里 in 和平里北街 name other places."""
    start = max(0, end - len(name.text))
    span, after = text[start:end], text[end:]
    road = _ROAD_TAIL_RE.match(after)
    if road:
        return f"「{span}」是道路「{span}{road.group(0)}」的一部分，本区没有这条路"
    if len(name.text) > 2:
        return ""
    if not _WHOLE_TOKEN_TAIL_RE.match(after):
        return f"「{span}」是「{span}{after[:4]}」等其他地名的一部分，不作为本区的「{name.label}」"
    if how != "exact" and not _KIND_TAIL_RE.match(after):
        return f"「{span}」与「{name.text}」同音或近似，但未写明社区或小区，不据此定位"
    return ""


def _street_only(gaz: _Gazetteer, text: str, text_key: str) -> OrgUnit | None:
    for name, key, unit in gaz.streets:
        if name in text or (len(key) >= 3 and key in text_key):
            return unit
    return None


def _decide(result: Resolution, candidates: list[_Candidate]) -> Resolution:
    best_by_community: dict[int, _Candidate] = {}
    support: dict[int, int] = {}
    for c in sorted(candidates, key=lambda c: (-c.score, c.grid is None)):
        support[c.community.pk] = support.get(c.community.pk, 0) + 1
        best_by_community.setdefault(c.community.pk, c)
    ranked = sorted(best_by_community.values(), key=lambda c: -c.score)
    best = ranked[0]
    confidence = best.score
    if support[best.community.pk] > 1:  # a road and an estate agreeing: more certain
        confidence = min(1.0, confidence + 0.05)
    if len(ranked) > 1 and ranked[1].score > best.score - 0.1:
        # Two communities nearly tie: say so, and let the operator pick.
        confidence *= 0.75
        result.evidence.append(f"也可能是 {ranked[1].community.name}")
    grid = best.grid
    if grid is None:
        grid = next((c.grid for c in candidates if c.community.pk == best.community.pk and c.grid), None)
    result.evidence.insert(0, best.evidence)
    result.confidence = round(confidence, 3)
    result.method = best.method
    if confidence < MIN_CONFIDENCE:
        result.status = UNKNOWN
        return result
    result.status = PLACED
    result.community, result.grid, result.street = best.community, grid, best.community.parent
    return result
