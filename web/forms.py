"""Page forms. They parse and present; the rules are checked again by the services, whose
InvalidInput errors are put back on these forms field by field (helpers.apply_errors)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import REFERENCE_MAX, EmergencyLine
from grids.models import OrgUnit, UnitKind
from web.widgets import CheckboxSelectMultiple as FastCheckboxes
from web.widgets import FastSelect
from workorders.choices import RequestType, Resolution, ReturnReason, Satisfaction, Urgency
from workorders.models import Category, WorkOrder
from workorders.text_limits import LONG_TEXT_MAX, NOTE_MAX


def minor_categories():
    return Category.objects.filter(parent__isnull=False, is_active=True).select_related("parent", "department")


class _CategoryChoices(forms.models.ModelChoiceIterator):
    """The picker's options as (id, label) from one values_list: drawing a <select> of
    every category built three model objects per option (category, parent, department)
    and was most of the accept form's time (issue 14). Validation still goes through
    the field's queryset."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, code, parent, name in self.queryset.values_list("pk", "code", "parent__name", "name"):
            yield (pk, _category_label(code, parent, name))


def _category_label(code: str, parent: str | None, name: str) -> str:
    return f"{code} {parent} / {name}"


class CategoryChoiceField(forms.ModelChoiceField):
    widget = FastSelect  # every category of the district: one template per <option> is slow
    iterator = _CategoryChoices

    def label_from_instance(self, obj: Category) -> str:
        return _category_label(obj.code, obj.parent.name, obj.name)


class IntakeForm(forms.Form):
    """The operator's call intake, in the order a call goes: who, what, where, how urgent."""

    caller_phone = forms.CharField(
        label=_("来电号码"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "inputmode": "tel", "autocomplete": "off"}),
    )
    caller_name = forms.CharField(label=_("来电人"), max_length=50, required=False)
    caller_confidential = forms.BooleanField(label=_("来电人要求保密"), required=False)
    description = forms.CharField(label=_("诉求内容"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    title = forms.CharField(
        label=_("标题"), max_length=200, required=False, help_text=_("留空则取诉求内容的前 30 个字。")
    )
    category = CategoryChoiceField(label=_("分类"), queryset=minor_categories(), required=False, empty_label="—")
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    # The operator's own pick when the address preview is wrong or empty; it wins, and
    # becomes an alias suggestion for the admin (grids.aliases).
    community = forms.ModelChoiceField(
        label=_("所属社区（定位有误时选择）"),
        # Names for the picker; the polygons are read only if a service asks for them.
        queryset=OrgUnit.objects.filter(kind=UnitKind.COMMUNITY, is_active=True)
        .select_related("parent")
        .defer("boundary", "parent__boundary"),
        required=False,
        empty_label=_("自动定位"),
        widget=FastSelect,
    )
    lat = forms.FloatField(label=_("纬度"), required=False, min_value=-90, max_value=90)
    lng = forms.FloatField(label=_("经度"), required=False, min_value=-180, max_value=180)
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL)
    request_type = forms.ChoiceField(label=_("诉求类型"), choices=RequestType.choices, initial=RequestType.COMPLAINT)
    answer_now = forms.BooleanField(label=_("即时办结（电话中已答复）"), required=False)
    answer = forms.CharField(
        label=_("答复内容"), max_length=LONG_TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    # 来自紧急热线转办: a matter 110/119/120/122 handed over (community.EmergencyTransferIn).
    transferred_from = forms.ChoiceField(
        label=_("转来的紧急热线"), choices=[("", _("否（群众直接来电）")), *EmergencyLine.choices], required=False
    )
    transfer_reference = forms.CharField(
        label=_("对方编号"), max_length=REFERENCE_MAX, required=False, help_text=_("对方热线的警情/事件编号，可不填。")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = minor_categories()

    def clean(self):
        data = super().clean()
        if data.get("answer_now") and not (data.get("answer") or "").strip():
            self.add_error("answer", _("即时办结请填写答复内容。"))
        return data


class VersionedForm(forms.Form):
    """Every action form carries the version the page showed (compare-and-set)."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, order: WorkOrder | None = None, **kwargs):
        self.order = order
        super().__init__(*args, **kwargs)


class NoteForm(VersionedForm):
    note = forms.CharField(
        label=_("说明"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class RequiredNoteForm(VersionedForm):
    note = forms.CharField(label=_("说明"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class AcceptForm(VersionedForm):
    category = CategoryChoiceField(label=_("分类"), queryset=minor_categories(), empty_label="—")
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = minor_categories()
        if self.order is not None:
            self.fields["category"].initial = self.order.category_id
            self.fields["urgency"].initial = self.order.urgency


class RejectForm(VersionedForm):
    reason = forms.CharField(label=_("不予受理理由"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class MergeForm(VersionedForm):
    into = forms.CharField(label=_("并入工单号"), max_length=20)


class AnswerForm(VersionedForm):
    answer = forms.CharField(label=_("答复内容"), max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class UnitForm(VersionedForm):
    unit = forms.ModelChoiceField(
        label=_("派往单位"), queryset=OrgUnit.objects.none(), empty_label="—", widget=FastSelect
    )
    note = forms.CharField(label=_("说明"), max_length=NOTE_MAX, required=False)
    kinds = (UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.COMMUNITY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = self.unit_queryset()

    def unit_queryset(self):
        qs = OrgUnit.objects.filter(kind__in=self.kinds, is_active=True).defer("boundary").order_by("path")
        if self.order is not None and self.order.status == "returned":
            # Never offer the unit that just returned it; overruling is the desk's own form.
            last = self.order.events.filter(kind="return").order_by("-seq").values_list("payload", flat=True).first()
            if last and last.get("from_unit"):
                qs = qs.exclude(pk=last["from_unit"])
        return qs


class SubDispatchForm(UnitForm):
    def unit_queryset(self):
        parent = self.order.current_unit_id if self.order else None
        return OrgUnit.objects.filter(parent_id=parent, is_active=True).defer("boundary").order_by("code")


class CohandlerForm(VersionedForm):
    # Tick boxes, not a Ctrl-click multi-select.
    units = forms.ModelMultipleChoiceField(label=_("协办单位"), queryset=OrgUnit.objects.none(), widget=FastCheckboxes)
    note = forms.CharField(label=_("说明"), max_length=NOTE_MAX, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        qs = (
            OrgUnit.objects.filter(kind__in=[UnitKind.STREET, UnitKind.DEPARTMENT, UnitKind.COMMUNITY], is_active=True)
            .defer("boundary")
            .order_by("path")
        )
        if self.order is not None and self.order.current_unit_id:
            qs = qs.exclude(pk=self.order.current_unit_id)
        self.fields["units"].queryset = qs


class ReturnForm(VersionedForm):
    reason = forms.ChoiceField(label=_("退单原因"), choices=ReturnReason.choices)
    note = forms.CharField(label=_("说明"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ExtensionForm(VersionedForm):
    proposed_due = forms.DateTimeField(
        label=_("申请延至"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )
    reason = forms.CharField(label=_("延期理由"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(VersionedForm):
    reply = forms.CharField(label=_("办理结果"), max_length=LONG_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 4}))
    # Closure standards ask for an on-site photo; reviewers see it beside the reply.
    photo = forms.FileField(
        label=_("现场照片（可选，审核人可见）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )


class CallbackForm(VersionedForm):
    contacted = forms.TypedChoiceField(
        label=_("是否联系上"),
        choices=[("yes", _("已联系上")), ("no", _("未接通"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    resolution = forms.ChoiceField(label=_("是否解决"), choices=[("", "—"), *Resolution.choices], required=False)
    satisfaction = forms.ChoiceField(label=_("是否满意"), choices=[("", "—"), *Satisfaction.choices], required=False)
    # 三满意 (issue 16): asked alongside the overall answer, each optional.
    attitude = forms.ChoiceField(label=_("态度满意"), choices=[("", "—"), *Satisfaction.choices], required=False)
    process = forms.ChoiceField(label=_("过程满意"), choices=[("", "—"), *Satisfaction.choices], required=False)
    result = forms.ChoiceField(label=_("结果满意"), choices=[("", "—"), *Satisfaction.choices], required=False)
    note = forms.CharField(
        label=_("回访记录"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        data = super().clean()
        if data.get("contacted"):
            if not data.get("resolution"):
                self.add_error("resolution", _("请选择是否解决。"))
            if not data.get("satisfaction"):
                self.add_error("satisfaction", _("请选择是否满意。"))
        return data


class PublicForm(forms.Form):
    """The resident's form behind the QR poster: what, where, photo, phone."""

    description = forms.CharField(label=_("您要反映的问题"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    address = forms.CharField(label=_("具体位置"), max_length=255, required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    photo = forms.FileField(label=_("照片（可选）"), required=False)
    caller_phone = forms.CharField(
        label=_("手机号码"), max_length=20, widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})
    )
    caller_name = forms.CharField(label=_("称呼（可选）"), max_length=50, required=False)
    # A field people can't see: bots fill it in.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}))


class TrackForm(forms.Form):
    number = forms.CharField(label=_("工单号"), max_length=20)
    code = forms.CharField(label=_("查询码"), max_length=8)


class RateForm(forms.Form):
    number = forms.CharField(widget=forms.HiddenInput)
    code = forms.CharField(widget=forms.HiddenInput)
    resolution = forms.ChoiceField(label=_("问题是否解决"), choices=Resolution.choices, widget=forms.RadioSelect)
    satisfaction = forms.ChoiceField(label=_("您是否满意"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("意见（可选）"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PatrolForm(forms.Form):
    """A grid worker's patrol finding (巡查上报): what kind, what, where, how urgent, photo."""

    category = CategoryChoiceField(label=_("问题分类"), queryset=minor_categories(), empty_label="—")
    description = forms.CharField(label=_("问题描述"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))
    address = forms.CharField(label=_("位置说明"), max_length=255, required=False)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lng = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL, widget=forms.RadioSelect
    )
    photo = forms.FileField(label=_("现场照片"), required=False)
    # 未诉先办: not a problem found but a service a resident needs before they ask (care
    # app's channel, counted apart in the figures); handled like any patrol report.
    proactive = forms.BooleanField(label=_("未诉先办（主动发现的居民需求）"), required=False)
    # 自行处置: fixed on the spot; the report closes at once (photo and result required).
    self_handled = forms.BooleanField(label=_("已自行处置（现场已解决）"), required=False)
    result = forms.CharField(
        label=_("处置情况"), max_length=LONG_TEXT_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = minor_categories()

    def clean(self):
        data = super().clean()
        if data.get("self_handled"):
            if not (data.get("result") or "").strip():
                self.add_error("result", _("自行处置请写明处置情况。"))
            if not data.get("photo"):
                self.add_error("photo", _("自行处置需上传处置后的现场照片。"))
        return data


class ReclassifyForm(VersionedForm):
    """更正分类: the dispatcher's correction of category and/or place (either may stay)."""

    category = CategoryChoiceField(label=_("正确分类"), queryset=minor_categories(), required=False, empty_label="—")
    place = forms.ModelChoiceField(
        label=_("正确位置"), queryset=OrgUnit.objects.none(), required=False, empty_label="—", widget=FastSelect
    )
    note = forms.CharField(label=_("说明"), max_length=NOTE_MAX, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = minor_categories()
        self.fields["place"].queryset = (
            OrgUnit.objects.filter(kind__in=(UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID), is_active=True)
            .defer("boundary")  # a picker needs names, not each unit's polygon
            .order_by("path")
        )
