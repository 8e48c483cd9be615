"""redact_public_text: each kind of personal data a resident or handler may type, and
the look-alikes (order numbers, dates, amounts, service lines, road numbers) that stay."""

import pytest
from django.utils import translation

from workorders.privacy import redact_order_text, redact_public_text


@pytest.mark.parametrize(
    "text,expected",
    [
        # mobile numbers: masked like everywhere else, whatever the separators
        ("电话13812345678", "电话138****5678"),
        ("电话 138-1234-5678 或 138 1234 5678", "电话 138****5678 或 138****5678"),
        ("+86 13812345678、8613912345678", "138****5678、139****5678"),
        # landlines, with and without area code
        ("座机010-87654321", "座机[电话]"),
        ("(0755)1234567、（021）62345678", "[电话]、[电话]"),
        ("0571-87654321转123", "[电话]"),
        ("家里电话87654321，单位6543-2100", "家里电话[电话]，单位[电话]"),
        # companies' service lines stay
        ("物业客服400-820-8820，厂家8008208820", "物业客服400-820-8820，厂家8008208820"),
        # ID card numbers, long card numbers
        ("身份证号110101199003071234", "身份证号[身份证号]"),
        ("身份证11010119900307123x", "身份证[身份证号]"),
        ("银行卡6222021234567890123", "银行卡[号码]"),
        # e-mail
        ("发到 zhang.san+x@mail.example.com.cn 谢谢", "发到 [邮箱] 谢谢"),
        # vehicle plates, including new-energy ones and lower case
        ("京A12345 长期占用消防通道", "[车牌] 长期占用消防通道"),
        ("粤B·D12345和沪a9b8c7", "[车牌]和[车牌]"),
        # household numbers: the room goes, the building and unit stay
        ("幸福里小区3号楼2单元501漏水", "幸福里小区3号楼2单元[门牌]漏水"),
        ("3栋501室楼上噪音", "3栋[门牌]楼上噪音"),
        ("5号楼1202天天装修", "5号楼[门牌]天天装修"),
        ("1门302", "1门[门牌]"),
        ("住在12-3-501", "住在[门牌]"),
        ("楼下602室", "楼下[门牌]"),
        ("12号楼10单元门口堆满垃圾", "12号楼10单元门口堆满垃圾"),
        # look-alikes that must stay
        ("和平路88号门口", "和平路88号门口"),
        ("与工单20261123000042是同一问题", "与工单20261123000042是同一问题"),
        ("20261123 晚上八点", "20261123 晚上八点"),
        ("被骗3500000元", "被骗3500000元"),
        ("小区有100户居民、3楼", "小区有100户居民、3楼"),
        ("坐标39.9051234", "坐标39.9051234"),
        ("打12345没人接", "打12345没人接"),
        ("", ""),
    ],
)
def test_redact_public_text(text, expected):
    with translation.override("zh-hans"):
        assert redact_public_text(text) == expected


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("张三", "我是张三，住3号楼", "我是[姓名]，住3号楼"),
        ("张 三", "张三反映", "[姓名]反映"),  # Open311 joins last and first name with a space
        ("张三", "联系张 三或张先生、张女士", "联系[姓名]或[姓名]、[姓名]"),
        ("John Smith", "call john smith", "call [姓名]"),
        ("张", "张贴小广告", "张贴小广告"),  # a one-character name would hit ordinary words
        ("", "张贴小广告", "张贴小广告"),
    ],
)
def test_the_callers_own_name_is_removed(name, text, expected):
    with translation.override("zh-hans"):
        assert redact_public_text(text, caller_name=name) == expected


def test_placeholders_follow_the_language(log_call):
    order = log_call(description="张三 010-87654321 zhang@example.com")
    with translation.override("en"):
        assert redact_order_text(order, order.description) == "[name] [phone] [e-mail]"


def test_everything_in_one_text(log_call):
    order = log_call(
        description="我是张三，手机13812345678，座机010-87654321，身份证110101199003071234，"
        "邮箱zs@example.com，车牌京A12345，住幸福里小区3号楼2单元501。"
    )
    redacted = redact_order_text(order, order.description)
    for secret in ("张三", "13812345678", "87654321", "110101199003071234", "zs@example.com", "A12345", "501"):
        assert secret not in redacted
    assert "幸福里小区3号楼2单元" in redacted


def test_the_tracking_page_shows_the_title_redacted(log_call):
    """public_track serves both the web tracking page and the API's public/track."""
    from workorders.public import public_track

    order = log_call(title="张三家门口 010-87654321")
    with translation.override("zh-hans"):
        view = public_track(number=order.number, code=order.tracking_code)
    assert view.title == "[姓名]家门口 [电话]"
