"""Stored codes and their display labels (store codes, render labels)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("待受理")
    ACCEPTED = "accepted", _("待派单")
    ASSIGNED = "assigned", _("待签收")
    RETURNED = "returned", _("已退回")
    IN_PROGRESS = "in_progress", _("办理中")
    REPLIED = "replied", _("待审核")
    CALLBACK = "callback", _("待回访")
    CLOSED = "closed", _("已办结")
    REJECTED = "rejected", _("不予受理")
    MERGED = "merged", _("已并单")


TERMINAL_STATUSES = frozenset({Status.CLOSED, Status.REJECTED, Status.MERGED})


class Channel(models.TextChoices):
    HOTLINE = "hotline", _("12345热线")
    QR = "qr", _("一号一码")
    WEB = "web", _("网站")
    MINIAPP = "miniapp", _("小程序")
    PATROL = "patrol", _("网格巡查")
    API = "api", _("系统接口")
    OPEN311 = "open311", _("Open311")
    # --- community app (issue 16): machine sources, the city platform, building captains ---
    SENSOR = "sensor", _("城运感知")
    UPSTREAM = "upstream", _("上级交办")
    CAPTAIN = "captain", _("楼长")
    # --- end community ---
    # 未诉先办 (care app): an order a grid worker raises from a key resident's visit
    # before anyone complained; counted apart from the complaints in the figures.
    PROACTIVE = "proactive", _("未诉先办")


# What a grid worker files from the field and finds again under "my reports": patrol
# finds and 未诉先办 orders (the index workorder_creator_created covers exactly these).
FIELD_CHANNELS = (Channel.PATROL.value, Channel.PROACTIVE.value)
PUBLIC_CHANNELS = frozenset({Channel.QR, Channel.WEB, Channel.MINIAPP, Channel.PATROL, Channel.API, Channel.OPEN311})


class RequestType(models.TextChoices):
    CONSULT = "consult", _("咨询")
    HELP = "help", _("求助")
    COMPLAINT = "complaint", _("投诉")
    REPORT = "report", _("举报")
    SUGGESTION = "suggestion", _("建议")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")


class Resolution(models.TextChoices):
    SOLVED = "solved", _("已解决")
    PARTLY = "partly", _("部分解决")
    UNSOLVED = "unsolved", _("未解决")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class Routing(models.TextChoices):
    TERRITORIAL = "territorial", _("属地")
    DEPARTMENT = "department", _("职能部门")


class Stage(models.TextChoices):
    SIGN = "sign", _("签收")
    CONTACT = "contact", _("首次联系")
    HANDLE = "handle", _("办理")
    CALLBACK = "callback", _("回访")
    # governance: the center's review of a unit's return (派单异议审核).
    RETURN_REVIEW = "return_review", _("退单审核")


class DeadlineState(models.TextChoices):
    OPEN = "open", _("进行中")
    MET = "met", _("按时")
    BREACHED = "breached", _("超时")
    CANCELLED = "cancelled", _("已取消")


class ReturnReason(models.TextChoices):
    NOT_TERRITORY = "not_territory", _("属地不符")
    UNCLEAR_OWNERSHIP = "unclear_ownership", _("权属不清")
    OVERLAPPING_DUTY = "overlapping_duty", _("职能交叉")
    OTHER = "other", _("其他")


class CoHandlingState(models.TextChoices):
    ASKED = "asked", _("已吹哨")
    SIGNED = "signed", _("已报到")
    REPORTED = "reported", _("已反馈")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    DENIED = "denied", _("已驳回")
