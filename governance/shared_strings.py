"""Strings this app added to shared modules (the transition table, the stage choices,
the dispatch rule in workorders.services.handling, the nav, the
property-company unit kind and its service areas in grids, the serving-unit routing
rule in dispatch). Listed here so that
``makemessages`` run in this app puts them in this app's own catalogue: the shared
catalogue (locale/en) is edited by every branch at once. Never imported."""

from django.utils.translation import gettext_noop

STRINGS = [
    gettext_noop("申请剔除"),
    gettext_noop("同意剔除"),
    gettext_noop("驳回剔除"),
    gettext_noop("提出申诉"),
    gettext_noop("申诉成立"),
    gettext_noop("申诉驳回"),
    gettext_noop("兜底改派"),
    gettext_noop("退单审核"),
    gettext_noop("考核"),
    gettext_noop("分类「%(c)s」由职能部门主责，不能派给街道及以下单位；如确需下派，请由中心填写理由。"),
    gettext_noop("只有中心可以批准职能部门事项下派。"),
    gettext_noop("只有转中心兜底的工单可以由中心改派。"),
    gettext_noop("只有中心可以改派兜底工单。"),
    gettext_noop("请选择承办单位。"),
    gettext_noop("物业/行业单位"),
    gettext_noop("只能派给街道、社区、职能部门、物业/行业单位或中心。"),
    # 物业 service areas (grids) and the serving-unit routing rule (dispatch)
    gettext_noop("物业服务"),
    gettext_noop("供水"),
    gettext_noop("供电"),
    gettext_noop("燃气"),
    gettext_noop("供热"),
    gettext_noop("小区/服务范围"),
    gettext_noop("服务类型"),
    gettext_noop("留空表示服务整个社区"),
    gettext_noop("物业服务范围"),
    gettext_noop("服务范围只能属于物业/行业单位。"),
    gettext_noop("请选择社区。"),
    gettext_noop("物业/行业单位（按小区）"),
    gettext_noop("派往物业/行业单位时必填：按该服务类型找服务本小区的单位"),
    gettext_noop("派往物业/行业单位的规则必须指定服务类型。"),
    gettext_noop("未指定服务类型"),
    gettext_noop("多家物业/行业单位服务同一小区"),
]
