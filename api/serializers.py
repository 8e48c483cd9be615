"""Serializers only parse and present; the services decide."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import CoordinateField
from community.models import REFERENCE_MAX, EmergencyLine
from grids.models import OrgUnit
from workorders.choices import (
    Channel,
    RequestType,
    Resolution,
    ReturnReason,
    Satisfaction,
    Status,
    Urgency,
)
from workorders.models import Category, Deadline, Event, WorkOrder
from workorders.privacy import ORDER_TEXT_FIELDS, caller_for, order_text
from workorders.selectors import category_by_code
from workorders.services import MAX_TEXT
from workorders.text_limits import LONG_TEXT_MAX, NOTE_MAX
from workorders.transitions import allowed_kinds

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_COMPOSITE = (serializers.ListField, serializers.DictField, serializers.ManyRelatedField, serializers.BaseSerializer)


# Said without repeating what was sent (the error body goes back to whoever sent it, and a
# field fuzzed with a phone number must not come back as one).
UNKNOWN_UNIT: dict[str, StrOrPromise] = {
    "does_not_exist": gettext_lazy("没有这个单位。"),
    "incorrect_type": gettext_lazy("应为单位编号（整数）。"),
}


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, so a misspelt field is an error, not a no-op."""

    def get_fields(self):
        # DRF deep-copies every declared field for each instance, re-running each field's
        # __init__: ~1-2 ms per request on intake. A shallow copy is enough here: bind()
        # gives the copy its own name and parent, and nothing else on a field is mutated.
        # Fields holding other fields (lists, many-related, nested) are deep-copied as
        # usual, since bind() on a shared child would cross requests.
        return {
            name: copy.deepcopy(field) if isinstance(field, _COMPOSITE) else copy.copy(field)
            for name, field in self._declared_fields.items()
        }

    # True: plain valid JSON takes the short way (api/lean.py), everything else DRF's.
    lean_json = False

    @classmethod
    def lean_plan(cls):
        if not cls.lean_json:
            return None
        if "_lean_plan" not in cls.__dict__:
            from api.lean import plan_for

            cls._lean_plan = plan_for(cls)
        return cls.__dict__["_lean_plan"]

    def _read_only_defaults(self):
        # DRF builds every field here only to find read-only ones with defaults; a class
        # with a short way has none (api/lean.py refuses them).
        if self.lean_plan() is not None:
            return {}
        return super()._read_only_defaults()

    def to_internal_value(self, data):
        plan = self.lean_plan()
        if plan is not None:
            validated = plan.validate(data)
            if validated is not None:
                return validated
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("未知字段。")] for name in unknown})
        return super().to_internal_value(data)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))  # type: ignore[assignment]  # a field named like Serializer.errors


class ConflictSerializer(ErrorSerializer):
    current = serializers.DictField(required=False, help_text="The order as it is now.")


class UnitRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind"]


class OrgUnitSerializer(serializers.ModelSerializer):
    parent = serializers.IntegerField(source="parent_id", allow_null=True)  # type: ignore[assignment]  # a field named like Field.parent

    class Meta:
        model = OrgUnit
        fields = ["id", "code", "name", "kind", "parent", "path", "is_active"]


class CategorySerializer(serializers.ModelSerializer):
    parent: serializers.SlugRelatedField = serializers.SlugRelatedField(  # type: ignore[assignment]  # a field named like Field.parent
        slug_field="code", read_only=True, allow_null=True
    )
    department = serializers.IntegerField(source="department_id", allow_null=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "parent",
            "routing",
            "department",
            "sign_limit",
            "contact_limit",
            "handle_limit",
            "callback_limit",
            "closure_standard",
            "is_active",
        ]


class CategoryRefSerializer(serializers.ModelSerializer):
    major = serializers.CharField(source="parent.name", default="", read_only=True)

    class Meta:
        model = Category
        fields = ["code", "name", "major"]


class CallerSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    masked = serializers.BooleanField()
    confidential = serializers.BooleanField()


def _viewer(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class WorkOrderListSerializer(serializers.ModelSerializer):
    """Free text as the requesting user may read it (workorders.privacy): redacted for
    every role but the operators', and with no request at all."""

    category = CategoryRefSerializer(allow_null=True, read_only=True)
    current_unit = UnitRefSerializer(allow_null=True, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = WorkOrder
        fields = [
            "number",
            "status",
            "status_label",
            "channel",
            "request_type",
            "urgency",
            "title",
            "address",
            "category",
            "current_unit",
            "due_at",
            "created_at",
            "version",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        user = _viewer(self)
        for name in ORDER_TEXT_FIELDS:
            if name in data and data[name]:
                data[name] = order_text(user, instance, data[name], field=name)
        return data


class WorkOrderPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    results = WorkOrderListSerializer(many=True)


class TransferredInSerializer(serializers.Serializer):
    """来自紧急热线转办: the emergency line that handed the matter to 12345."""

    line = serializers.ChoiceField(choices=EmergencyLine.choices, read_only=True)
    reference = serializers.CharField(read_only=True, help_text="That line's own incident number (may be empty).")
    at = serializers.DateTimeField(read_only=True)


class WorkOrderSerializer(WorkOrderListSerializer):
    caller = serializers.SerializerMethodField()
    transferred_in = serializers.SerializerMethodField()
    street = UnitRefSerializer(allow_null=True, read_only=True)
    community = UnitRefSerializer(allow_null=True, read_only=True)
    grid = UnitRefSerializer(allow_null=True, read_only=True)
    lead_unit = UnitRefSerializer(allow_null=True, read_only=True)
    allowed_actions = serializers.SerializerMethodField()
    # Declared so the schema says what the rows hold: no parent unless merged, and no
    # callback outcome until the callback (found by Schemathesis on real orders).
    parent: serializers.SlugRelatedField = serializers.SlugRelatedField(  # type: ignore[assignment]  # a field named like Field.parent
        slug_field="number", read_only=True, allow_null=True
    )
    callback_resolution = serializers.ChoiceField(choices=Resolution.choices, allow_blank=True, read_only=True)
    callback_satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, allow_blank=True, read_only=True)

    class Meta(WorkOrderListSerializer.Meta):
        fields = [
            *WorkOrderListSerializer.Meta.fields,
            "description",
            "lat",
            "lng",
            "street",
            "community",
            "grid",
            "lead_unit",
            "caller",
            "reply",
            "replied_at",
            "callback_resolution",
            "callback_satisfaction",
            "callback_attempts",
            "reopen_count",
            "return_count",
            "parent",
            "updated_at",
            "closed_at",
            "allowed_actions",
            "transferred_in",
        ]
        read_only_fields = fields

    @extend_schema_field(TransferredInSerializer(allow_null=True))
    def get_transferred_in(self, order: WorkOrder) -> dict | None:
        from api.presenters import transferred_in  # presenters render what these fields document

        return transferred_in(order)

    @extend_schema_field(CallerSerializer)
    def get_caller(self, order: WorkOrder) -> dict:
        request = self.context.get("request")
        return caller_for(request.user if request else None, order)

    def get_allowed_actions(self, order: WorkOrder) -> list[str]:
        """Actions the status allows (whether this user may take one is checked on POST)."""
        return allowed_kinds(order.status)


class CreatedWorkOrderSerializer(WorkOrderSerializer):
    """The creation response also carries the tracking code the resident is told."""

    tracking_code = serializers.CharField(read_only=True)

    class Meta(WorkOrderSerializer.Meta):
        fields = [*WorkOrderSerializer.Meta.fields, "tracking_code"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    """A timeline entry; its note (a reply, a reason, an answer) as the user may read it."""

    actor = serializers.CharField(source="actor.username", default=None, read_only=True)
    actor_unit = serializers.CharField(source="actor_unit.name", default=None, read_only=True)
    note = serializers.SerializerMethodField()

    def get_note(self, event: Event) -> str:
        order = self.context.get("order") or event.order
        return order_text(_viewer(self), order, event.note)

    class Meta:
        model = Event
        fields = ["seq", "kind", "actor", "actor_unit", "actor_role", "from_status", "to_status", "note", "created_at"]
        read_only_fields = fields


class DeadlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = Deadline
        fields = [
            "stage",
            "unit",
            "limit",
            "opened_at",
            "warn_at",
            "due_at",
            "closed_at",
            "state",
            "warned_at",
            "breached_at",
            "extended_count",
        ]
        read_only_fields = fields


# --- input -----------------------------------------------------------------------------


class CategoryCodeField(serializers.SlugRelatedField):
    """A category by its code, read from the per-process category cache; anything the
    cache does not know goes to the database, which also words the error."""

    def to_internal_value(self, data):
        if isinstance(data, str):
            found = category_by_code(data)
            if found is not None:
                return found
        return super().to_internal_value(data)


def _category_field(**kw) -> serializers.SlugRelatedField:
    return CategoryCodeField(
        slug_field="code", queryset=Category.objects.select_related("parent"), allow_null=True, **kw
    )


class WorkOrderCreateSerializer(StrictSerializer):
    # The intake, hundreds a second at peak: validated the short way when the body is
    # plain valid JSON (issue 14; the errors are DRF's, api/lean.py).
    lean_json = True

    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.HOTLINE)
    title = serializers.CharField(max_length=MAX_TEXT["title"])
    description = serializers.CharField(max_length=MAX_TEXT["description"])
    caller_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    caller_name = serializers.CharField(
        max_length=MAX_TEXT["caller_name"], required=False, allow_blank=True, default=""
    )
    caller_confidential = serializers.BooleanField(required=False, default=False)
    address = serializers.CharField(max_length=MAX_TEXT["address"], required=False, allow_blank=True, default="")
    lat = CoordinateField(min_value=-90, max_value=90, required=False, allow_null=True, default=None)
    lng = CoordinateField(min_value=-180, max_value=180, required=False, allow_null=True, default=None)
    category = _category_field(required=False, default=None)
    urgency = serializers.ChoiceField(choices=Urgency.choices, default=Urgency.NORMAL)
    request_type = serializers.ChoiceField(choices=RequestType.choices, default=RequestType.COMPLAINT)
    community = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        # DRF's default message repeats the value sent, which may be a phone number.
        error_messages=UNKNOWN_UNIT,
    )
    # A grid worker's patrol report carries its photo (multipart/form-data), as the page does.
    photo = serializers.FileField(required=False, allow_null=True, default=None)
    # 自行处置: the reporter fixed it on the spot; the order closes at once (photo required).
    self_handled = serializers.BooleanField(required=False, default=False)
    result = serializers.CharField(max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default="")
    # 来自紧急热线转办: a matter an emergency line handed to 12345 (channel hotline).
    transferred_from = serializers.ChoiceField(
        choices=EmergencyLine.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="The emergency line (110/119/120/122) that handed this matter to 12345; "
        "recorded with the order and counted per line. Only with channel=hotline.",
    )
    transfer_reference = serializers.CharField(
        max_length=REFERENCE_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="That line's own incident number (optional; only with transferred_from).",
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if attrs.get("self_handled"):
            errors = {}
            if attrs.get("channel") != Channel.PATROL:
                errors["self_handled"] = [_("只有巡查上报可以自行处置。")]
            if not (attrs.get("result") or "").strip():
                errors["result"] = [_("自行处置请写明处置情况。")]
            if attrs.get("photo") is None:
                errors["photo"] = [_("自行处置需上传处置后的现场照片。")]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class EmptySerializer(StrictSerializer):
    pass


class NoteSerializer(StrictSerializer):
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class AcceptSerializer(NoteSerializer):
    category = _category_field(required=False, default=None)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_null=True, default=None)


class RejectSerializer(StrictSerializer):
    reason = serializers.CharField(max_length=NOTE_MAX)


class MergeSerializer(NoteSerializer):
    # A number, resolved by the view within the caller's scope: an order outside it
    # answers exactly like one that does not exist.
    into = serializers.CharField(max_length=20, help_text="Number of the order to merge into.")


class AnswerNowSerializer(StrictSerializer):
    answer = serializers.CharField(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    article = serializers.IntegerField(
        required=False,
        help_text="A published, currently valid knowledge-base article answered from: recorded on the event; "
        "its body is the reply unless `answer` is given.",
    )

    def validate(self, attrs):
        if not (attrs.get("answer") or "").strip() and attrs.get("article") is None:
            raise serializers.ValidationError({"answer": [_("请填写答复内容，或给出知识库文章 article。")]})
        return attrs


class UnitSerializer(NoteSerializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all())


class ReturnSerializer(NoteSerializer):
    reason = serializers.ChoiceField(choices=ReturnReason.choices)


class ExtensionSerializer(StrictSerializer):
    proposed_due = serializers.DateTimeField()
    reason = serializers.CharField(max_length=NOTE_MAX)


class CohandlersSerializer(NoteSerializer):
    units = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.all(), many=True)


class ReportSerializer(StrictSerializer):
    report = serializers.CharField(max_length=NOTE_MAX)


class ReplySerializer(StrictSerializer):
    reply = serializers.CharField(max_length=LONG_TEXT_MAX)


class SiteCheckSerializer(StrictSerializer):
    """现场核查 (issue 16), multipart/form-data as the page sends it; the service checks
    the photo (attachments) and that the position is near the order's grid."""

    photo = serializers.FileField()
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)
    note = serializers.CharField(max_length=NOTE_MAX, required=False, allow_blank=True, default="")


class CallbackSerializer(NoteSerializer):
    contacted = serializers.BooleanField()
    resolution = serializers.ChoiceField(choices=Resolution.choices, required=False, allow_blank=True, default="")
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    # 三满意 (issue 16): attitude, process and result, each optional, on the same scale.
    attitude = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    process = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")
    result = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")


class RevealedCallerSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()


# --- public ----------------------------------------------------------------------------


class PublicSubmitSerializer(StrictSerializer):
    title = serializers.CharField(max_length=MAX_TEXT["title"])
    description = serializers.CharField(max_length=MAX_TEXT["description"])
    caller_phone = serializers.CharField(max_length=20)
    caller_name = serializers.CharField(
        max_length=MAX_TEXT["caller_name"], required=False, allow_blank=True, default=""
    )
    caller_confidential = serializers.BooleanField(required=False, default=False)
    address = serializers.CharField(max_length=MAX_TEXT["address"], required=False, allow_blank=True, default="")
    lat = CoordinateField(min_value=-90, max_value=90, required=False, allow_null=True, default=None)
    lng = CoordinateField(min_value=-180, max_value=180, required=False, allow_null=True, default=None)
    category = serializers.SlugRelatedField(
        slug_field="code", queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    request_type = serializers.ChoiceField(choices=RequestType.choices, default=RequestType.COMPLAINT)
    channel = serializers.ChoiceField(
        choices=[(c, Channel(c).label) for c in (Channel.WEB, Channel.QR, Channel.MINIAPP)], default=Channel.WEB
    )
    community = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        # DRF's default message repeats the value sent, which may be a phone number.
        error_messages=UNKNOWN_UNIT,
    )
    photo = serializers.FileField(required=False, allow_null=True, default=None)


class PublicSubmittedSerializer(serializers.Serializer):
    number = serializers.CharField()
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)


class PublicStepSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    text = serializers.CharField()


class PublicViewSerializer(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    progress = serializers.CharField()
    title = serializers.CharField()
    category = serializers.CharField()
    created_at = serializers.DateTimeField()
    unit = serializers.CharField()
    reply = serializers.CharField()
    can_rate = serializers.BooleanField()
    steps = PublicStepSerializer(many=True)


class PublicTrackQuerySerializer(StrictSerializer):
    number = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=16)


class PublicRateSerializer(StrictSerializer):
    number = serializers.CharField(max_length=20)
    code = serializers.CharField(max_length=16)
    resolution = serializers.ChoiceField(choices=Resolution.choices)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
