"""Address text as residents say it, brought to one form the gazetteer can match.

Pure functions, no database: full-width characters, Chinese numerals before house-number
units (十二号 → 12号), spacing and punctuation, the many ways of saying building / unit /
room (3栋, 3幢, 三号楼 → 3号楼), pinyin keys for homophones, and the words that name
places outside the district.
"""

from __future__ import annotations

import os
import re
import unicodedata

# Keys are read one character at a time, so pypinyin's phrase dictionary (44 MB of the
# 57 MB it adds to a process) never changes a result: skip loading it (issue 14). Read by
# pypinyin when it is first imported, which is in _char_key, on the first address.
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")


# Hand-written rather than cn2an: only numbers up to the thousands in front of a house
# number unit are converted, and everything else must be left alone ("科技二路" is a
# road name, "二期" a phase of an estate); cn2an's in-text transform converts those too.
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_NUMERAL = "零〇一二两三四五六七八九十百千"
# Units a house-level number stands before. 路/街/期/环 are deliberately absent.
_NUMBER_UNITS = "号|栋|幢|座|单元|层|楼|室|户|门|弄|巷|排|院"
_NUMERAL_RE = re.compile(rf"([{_NUMERAL}]+)(?=(?:{_NUMBER_UNITS}))")


def chinese_number(text: str) -> int | None:
    """十二 → 12, 一百零五 → 105, 二五 → 25 (digit by digit), None when not a numeral."""
    if not text or any(c not in _DIGITS and c not in _UNITS for c in text):
        return None
    if not any(c in _UNITS for c in text):  # 一零五: read digit by digit
        return int("".join(str(_DIGITS[c]) for c in text))
    total, current = 0, 0
    for c in text:
        if c in _DIGITS:
            current = _DIGITS[c]
        else:
            total += (current or 1) * _UNITS[c]  # 十二: the 十 alone means one ten
            current = 0
    return total + current


def _numerals_to_digits(text: str) -> str:
    def repl(m: re.Match) -> str:
        value = chinese_number(m.group(1))
        return str(value) if value is not None else m.group(1)

    return _NUMERAL_RE.sub(repl, text)


# Punctuation and separators residents (and speech-to-text) put anywhere.
_NOISE_RE = re.compile(r"[\s,，。.、;；:：!！?？'\"“”‘’()（）\[\]【】<>《》~～_·•/\\|]+")
_BUILDING_RE = re.compile(r"(\d+)\s*(?:号楼|栋楼|栋|幢|座|号院楼|#楼|#)")
_ROOM_RE = re.compile(r"(\d+)\s*(?:号房间|号房|房间|房|室)")
_DASH_RE = re.compile(r"[－—–‐-]")


def normalize_address(text: str) -> str:
    """One canonical form: NFKC (full-width digits and letters), no spaces or
    punctuation, Chinese numerals before house units as digits, 栋/幢/座 → 号楼,
    房/房间 → 室, dashes unified (3-2-501 keeps its meaning)."""
    s = unicodedata.normalize("NFKC", text or "")
    s = _DASH_RE.sub("-", s)
    s = _NOISE_RE.sub("", s)
    s = _numerals_to_digits(s)
    s = _BUILDING_RE.sub(r"\1号楼", s)
    s = _ROOM_RE.sub(r"\1室", s)
    return s.lower()


# Where a house-level description starts: what follows locates a door, not a place,
# so a learned alias stops before it ("幸福小区3号楼2单元" teaches "幸福小区").
_HOUSE_PART_RE = re.compile(
    r"(?:\d+(?:号楼|单元|室|层|楼|户|门)|\d+-\d+|附近|旁边|对面|门口|东门|西门|南门|北门|楼下|底商|路口).*$"
)


def place_phrase(normalized: str) -> str:
    """The part of a normalised address that names the place (for a learned alias)."""
    return _HOUSE_PART_RE.sub("", normalized)[:100]


# --- pinyin keys ----------------------------------------------------------------------
# Homophones typed through a pinyin IME (望江苑 → 旺江园) have the same syllables; each
# syllable becomes one private-use character so rapidfuzz compares syllable sequences.
# Common accent confusions are folded too: zh/ch/sh ~ z/c/s, l ~ n, -ng ~ -n.
_FOLD = [("zh", "z"), ("ch", "c"), ("sh", "s"), ("ing", "in"), ("eng", "en"), ("l", "n")]
_SYLLABLES: dict[str, str] = {}


def _fold(syllable: str) -> str:
    for a, b in _FOLD:
        syllable = syllable.replace(a, b)
    return syllable


def _code(syllable: str) -> str:
    code = _SYLLABLES.get(syllable)
    if code is None:
        code = _SYLLABLES[syllable] = chr(0xE000 + len(_SYLLABLES))
    return code


_CHAR_KEYS: dict[str, str] = {}


def _char_key(char: str) -> str:
    """The key character of one character. Read char by char (not in phrase context):
    a name and a text must get the same key for the same characters, and a dictionary
    look-up per character keeps resolution well inside its 20 ms budget."""
    key = _CHAR_KEYS.get(char)
    if key is None:
        if "\u4e00" <= char <= "\u9fff":
            from pypinyin import Style, lazy_pinyin

            key = _code(_fold(lazy_pinyin(char, style=Style.NORMAL)[0]))
        else:
            key = char
        _CHAR_KEYS[char] = key
    return key


def pinyin_key(text: str) -> str:
    """One character per (folded, toneless) syllable; other characters kept as they are."""
    return "".join(_char_key(c) for c in text)


# --- outside the district -------------------------------------------------------------
# Province-level names, and cities and districts residents of a Beijing-area district
# name when the place is elsewhere. Any other "X区/X县/X省" is caught by the pattern below.
PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]
CITIES = [
    "石家庄",
    "廊坊",
    "保定",
    "唐山",
    "秦皇岛",
    "张家口",
    "承德",
    "沧州",
    "衡水",
    "邢台",
    "邯郸",
    "太原",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "南京",
    "苏州",
    "无锡",
    "杭州",
    "宁波",
    "温州",
    "合肥",
    "福州",
    "厦门",
    "南昌",
    "济南",
    "青岛",
    "郑州",
    "武汉",
    "长沙",
    "广州",
    "深圳",
    "珠海",
    "佛山",
    "东莞",
    "成都",
    "贵阳",
    "昆明",
    "西安",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "拉萨",
    "南宁",
    "海口",
    "三亚",
    "呼和浩特",
    "雄安",
]
BEIJING_DISTRICTS = [
    "东城",
    "西城",
    "朝阳区",
    "海淀",
    "丰台",
    "石景山",
    "门头沟",
    "房山",
    "通州",
    "顺义",
    "昌平",
    "大兴",
    "怀柔",
    "平谷",
    "密云",
    "延庆",
    "亦庄",
    "中关村",
    # Districts of other large cities, named without their city often enough.
    "浦东",
    "黄浦",
    "徐汇",
    "长宁",
    "静安",
    "虹口",
    "杨浦",
    "闵行",
    "天河",
    "越秀",
    "番禺",
    "福田",
    "罗湖",
    "宝安",
    "龙岗",
    "望京",
    "回龙观",
    "天通苑",
    "西二旗",
    "国贸",
    "三里屯",
    "五道口",
]
# "X区" words that are not districts: estates, campuses, zones.
_NOT_DISTRICT = [
    "小区",
    "社区",
    "园区",
    "校区",
    "城区",
    "片区",
    "景区",
    "街区",
    "厂区",
    "院区",
    "商区",
    "住宅区",
    "生活区",
    "办公区",
    "停车区",
    "服务区",
    "开发区",
    "工业区",
    "保护区",
    "风景区",
    "示范区",
    "功能区",
    "老区",
    "东区",
    "西区",
    "南区",
    "北区",
    "中区",
    "新区",
    "一区",
    "二区",
    "三区",
    "四区",
    "五区",
]
# An administrative qualifier: province, city, district, county, banner, town, township or
# street office. Matched lazily from the left, so a word may carry a few characters before
# the name ("住在西城区"); what it ends with is what counts.
_ADMIN_RE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(?:省|自治区|市|区|县|旗|镇|乡|街道)")
_ADMIN_SUFFIX_RE = re.compile(r"省|自治区|市|区|县|旗|镇|乡|街道")
_NOT_ADMIN = ("超市", "夜市", "菜市", "门市", "集市", "早市", "城市", "股市", "花市", "小镇", "城乡", "家乡", "老乡")
# "X城区"/"X新区" name a district when X is a proper name (西城区, 滨海新区, 高新区), and a
# part of town when X is one of these (老城区, 主城区).
_NAMED_ZONES = ("城区", "新区")
_GENERIC_ZONE_PREFIX = ("老", "主", "中心", "本", "旧", "城", "老城", "主城", "市", "新")


_GENERIC_ZONES_LONGEST_FIRST = tuple(sorted(_NOT_DISTRICT, key=len, reverse=True))


def _is_generic_zone(word: str) -> bool:
    for generic in _GENERIC_ZONES_LONGEST_FIRST:
        if word.endswith(generic):
            if generic in _NAMED_ZONES:
                prefix = word[: -len(generic)]
                return not prefix or prefix in _GENERIC_ZONE_PREFIX
            return True
    return False


def foreign_place_words(normalized: str, *, own: tuple[str, ...]) -> list[str]:
    """Words in the address that name a place outside the district. ``own`` holds the
    district's own names (its district, streets, communities) which never count.

    The names the lists know are looked for first, on the text with only the district's
    own names taken out: taking generic words such as 城区 out first would turn 西城区
    into 西 and lose it. Then any "X省/市/区/县/镇/乡/街道" that is not a generic zone
    (小区, 园区, 老城区 …) is a qualifier naming another place."""
    text = normalized
    for word in sorted(own, key=len, reverse=True):
        text = text.replace(word, " ")
    found: list[str] = []
    for word in (*PROVINCES, *CITIES, *BEIJING_DISTRICTS):
        at = text.find(word)
        if at >= 0:  # with the qualifier that follows it, if any: 昌平区, not 昌平
            suffix = _ADMIN_SUFFIX_RE.match(text, at + len(word))
            found.append(word + suffix.group(0) if suffix and not word.endswith(suffix.group(0)) else word)
    for m in _ADMIN_RE.finditer(text):
        word = m.group(0)
        if word.endswith(_NOT_ADMIN) or _is_generic_zone(word):
            continue
        if word.endswith("市") and (len(word) > 3 or text.startswith("场", m.end())):  # 农贸市场, XX大市场
            continue
        found.append(word)
    return found
