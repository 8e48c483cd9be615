"""The /api/v1/ views: parse the request, call one service, present the result."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from api import serializers as s
from api.authentication import CachedTokenAuthentication
from api.errors import error_body, workflow_error_response
from api.filters import WorkOrderFilter
from api.idempotency import run_idempotent
from api.pagination import KeysetPagination
from api.parsers import SafeJSONParser
from api.permissions import IsMember
from api.presenters import order_created, order_detail, order_summary
from api.selectors import my_queue_branches
from api.suggest import ReclassifySerializer
from grids.models import OrgUnit
from hotline.ratelimit import allow, client_address, parse_rate, seconds_left, tracking_failed, tracking_locked
from knowledge.services import article_answer_now
from workorders import services
from workorders.choices import Channel
from workorders.errors import Conflict, InvalidTransition, WorkflowError
from workorders.models import Category, WorkOrder
from workorders.public import public_rate, public_track
from workorders.scope import SCOPE_FIELDS, order_visible_to
from workorders.selectors import work_order_timeline, work_orders_visible_to
from workorders.transitions import API_CREATE, TRANSITIONS, actions

# Token first, so an unauthenticated machine gets 401 with a WWW-Authenticate challenge
# (DRF answers 403 when the first class has no challenge); pages' session still works.
AUTHENTICATION = [CachedTokenAuthentication, SessionAuthentication]

# Columns a list row shows (api.presenters.order_summary): loading only these (of ~36)
# halves the cost of building 50 orders and their related rows per page.
SUMMARY_FIELDS = (
    *("number", "status", "channel", "request_type", "urgency", "title", "address", "due_at", "created_at"),
    *("version", "category__code", "category__name", "category__parent__name"),
    # What the privacy policy reads to redact title and address (workorders.privacy).
    *("caller_name", "caller_confidential", "created_by"),
    *("current_unit__code", "current_unit__name", "current_unit__kind"),
)

IF_MATCH_RE = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')

ERRORS = {
    400: OpenApiResponse(s.ErrorSerializer, description="Invalid input; `errors` names the fields."),
    403: OpenApiResponse(s.ErrorSerializer, description="Your role or unit may not do this."),
    404: OpenApiResponse(s.ErrorSerializer, description="No such order within your scope."),
}
CONFLICT = {409: OpenApiResponse(s.ConflictSerializer, description="Stale If-Match or status moved on.")}


def etag(order: WorkOrder) -> str:
    return f'"{order.version}"'


def expected_version(request) -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    match = IF_MATCH_RE.match(raw)
    if not match:
        raise ValidationError({"If-Match": [_('必须是工单的 ETag，例如 "3"。')]})
    return int(match.group(1))


class ApiAction(NamedTuple):
    service: Callable[..., Any]  # called with order, actor, expected_version and the parsed body
    serializer: type[Serializer]


# Each POST action the rules name (their ``api``, workorders/transitions.py): the service it
# calls and the serializer that parses its body into the service's keyword arguments.
# Every service takes ``expected_version`` (the If-Match header). Creation (API_CREATE)
# and reveal_caller have views of their own below.
ACTIONS: dict[str, ApiAction] = {
    "accept": ApiAction(services.work_order_accept, s.AcceptSerializer),
    "reject": ApiAction(services.work_order_reject, s.RejectSerializer),
    "merge": ApiAction(services.work_order_merge, s.MergeSerializer),
    # Through the knowledge app, which checks the optional article and records it.
    "answer_now": ApiAction(article_answer_now, s.AnswerNowSerializer),
    "assign": ApiAction(services.work_order_assign, s.UnitSerializer),
    "sign": ApiAction(services.work_order_sign, s.EmptySerializer),
    "return": ApiAction(services.work_order_return, s.ReturnSerializer),
    "return_up": ApiAction(services.work_order_return_up, s.NoteSerializer),
    "reassign": ApiAction(services.work_order_reassign, s.UnitSerializer),
    "sub_dispatch": ApiAction(services.work_order_sub_dispatch, s.UnitSerializer),
    "contact": ApiAction(services.work_order_contact, s.NoteSerializer),
    "request_extension": ApiAction(services.work_order_request_extension, s.ExtensionSerializer),
    "approve_extension": ApiAction(services.work_order_approve_extension, s.NoteSerializer),
    "deny_extension": ApiAction(services.work_order_deny_extension, s.NoteSerializer),
    "add_cohandlers": ApiAction(services.work_order_add_cohandlers, s.CohandlersSerializer),
    "cohandler_sign": ApiAction(services.work_order_cohandler_sign, s.EmptySerializer),
    "cohandler_report": ApiAction(services.work_order_cohandler_report, s.ReportSerializer),
    "urge": ApiAction(services.work_order_urge, s.NoteSerializer),
    "reply": ApiAction(services.work_order_reply, s.ReplySerializer),
    "approve": ApiAction(services.work_order_approve, s.NoteSerializer),
    "send_back": ApiAction(services.work_order_send_back, s.NoteSerializer),
    "callback": ApiAction(services.work_order_callback, s.CallbackSerializer),
    "reclassify": ApiAction(services.work_order_reclassify, ReclassifySerializer),
    "site_check": ApiAction(services.work_order_site_check, s.SiteCheckSerializer),  # 现场核查 (issue 16)
}
# The routes of this viewset ("app:name" routes are other apps'), each labelled as its
# first kind (the callback's: 回访办结).
ACTION_KINDS = {
    name: kinds
    for name, kinds in actions("api").items()
    if name not in (API_CREATE, "reveal_caller") and ":" not in name
}


def _action_view(kind: str):
    service, serializer_class = ACTIONS[kind]
    label = TRANSITIONS[ACTION_KINDS[kind][0]].label

    def view(self, request, number=None):
        return self.run_action(request, kind, serializer_class, service)

    # The name must be set before @action, which records it as the method to dispatch to.
    view.__name__ = f"action_{kind}"
    view = action(detail=True, methods=["post"], url_path=kind, url_name=kind.replace("_", "-"))(view)
    return extend_schema(
        summary=f"{kind} ({label})",
        request=serializer_class,
        parameters=[OpenApiParameter("If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
        responses={200: s.WorkOrderSerializer, **ERRORS, **CONFLICT},
    )(view)


@extend_schema_view(
    list=extend_schema(summary="List orders within your scope", responses={200: s.WorkOrderListSerializer}),
    retrieve=extend_schema(summary="One order (ETag: its version)", responses={200: s.WorkOrderSerializer, **ERRORS}),
)
class WorkOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Work orders; the queryset is what the user may see, so anything else is a 404."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]
    lookup_field = "number"
    lookup_value_regex = "[0-9A-Za-z-]+"
    pagination_class = KeysetPagination
    filterset_class = WorkOrderFilter

    def get_queryset(self):
        qs = work_orders_visible_to(self.request.user)
        if self.action in ("list", "queue"):
            return qs.select_related("category__parent", "current_unit").only(*SUMMARY_FIELDS)
        return qs.select_related(
            "category__parent", "current_unit", "lead_unit", "street", "community", "grid", "parent"
        )

    def get_serializer_class(self):
        if self.action in ("list", "queue"):
            return s.WorkOrderListSerializer
        if self.action == "create":
            return s.WorkOrderCreateSerializer
        return s.WorkOrderSerializer

    def retrieve(self, request, *args, **kwargs):
        order = self.get_object()
        return Response(order_detail(order, request.user), headers={"ETag": etag(order)})

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([order_summary(o, request.user) for o in page])

    @extend_schema(
        summary="Log a hotline call (channel=hotline) or submit from another channel",
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
        request=s.WorkOrderCreateSerializer,
        responses={
            201: s.CreatedWorkOrderSerializer,
            **ERRORS,
            409: s.ErrorSerializer,
            422: OpenApiResponse(s.ErrorSerializer, description="Idempotency-Key reused with another body."),
        },
    )
    def create(self, request, *args, **kwargs):
        return run_idempotent(request, lambda: self._create(request))

    def _create(self, request) -> Response:
        data = s.WorkOrderCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        self_handled, result = fields.pop("self_handled"), fields.pop("result")
        if fields["channel"] == Channel.HOTLINE:
            fields.pop("community")
        order = services.work_order_intake(
            actor=request.user, public=False, self_handled=result if self_handled else None, **fields
        )
        # The service's own instance already carries what the response shows (a re-read
        # through the scoped queryset with its joins cost more than the rest together).
        body = order_created(order, request.user)
        location = request.build_absolute_uri(f"/api/v1/orders/{order.number}")
        return Response(body, status=status.HTTP_201_CREATED, headers={"ETag": etag(order), "Location": location})

    def run_action(self, request, kind, serializer_class, service) -> Response:
        # 404 outside the caller's scope, before anything else. Only the columns the scope
        # rule reads: the service locks and reads the row itself, and loading it here too
        # with the detail's seven joins, or filtering by the scope's condition, cost more
        # CPU than the transition (bench/action_profile.py).
        found = WorkOrder.objects.only(*SCOPE_FIELDS).filter(number=self.kwargs["number"]).first()
        if found is None or not order_visible_to(request.user, found):
            raise NotFound()
        pk = found.pk
        version = expected_version(request)
        parsed = serializer_class(data=request.data)
        parsed.is_valid(raise_exception=True)
        kwargs = dict(parsed.validated_data)
        try:
            updated = service(order=pk, actor=request.user, expected_version=version, **kwargs)
        except (Conflict, InvalidTransition) as exc:
            current = self.get_queryset().filter(pk=pk).first()
            if current is None:
                # Moved out of the caller's scope meanwhile (returned and reassigned):
                # answered as any order they may not see, never with its state.
                raise NotFound(_("没有这个工单。")) from None
            current_body = order_detail(current, request.user)
            response = workflow_error_response(exc, current=current_body)
            response["ETag"] = etag(current)
            return response
        # The actor may no longer see the order (a handler who returned it): answer with
        # what they are allowed to see, which is the bare outcome.
        if not order_visible_to(request.user, updated):
            return Response(
                {"number": updated.number, "status": updated.status, "version": updated.version},
                headers={"ETag": etag(updated)},
            )
        # The service's locked instance is the order as committed; what it did not join
        # (the category's major, community, grid) is read by key.
        return Response(order_detail(updated, request.user), headers={"ETag": etag(updated)})

    @extend_schema(
        summary="Read the caller's full name and number (an audited event)",
        request=None,
        responses={200: s.RevealedCallerSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="reveal_caller", url_name="reveal-caller")
    def reveal_caller(self, request, number=None):
        order = self.get_object()
        return Response(services.work_order_reveal_caller(order=order.pk, actor=request.user))

    @extend_schema(summary="The order's timeline", responses={200: s.EventSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def events(self, request, number=None):
        order = self.get_object()
        events = work_order_timeline(order)
        return Response(s.EventSerializer(events, many=True, context={"request": request, "order": order}).data)

    @extend_schema(summary="The order's stage deadlines", responses={200: s.DeadlineSerializer(many=True), **ERRORS})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def deadlines(self, request, number=None):
        order = self.get_object()
        return Response(s.DeadlineSerializer(order.deadlines.order_by("opened_at", "id"), many=True).data)

    @extend_schema(
        summary="My queue: orders waiting for my next step, by due time",
        responses={200: s.WorkOrderPageSerializer},
    )
    @action(detail=False, methods=["get"])
    def queue(self, request):
        # One queryset per branch of the queue, each matching an index (see my_queue_branches).
        filtered = self.filter_queryset(WorkOrder.objects.all())  # one FilterSet, not one per branch
        branches = [filtered.filter(q) for q in my_queue_branches(request.user)]
        self.default_ordering = "due_at"
        self.rows_queryset = WorkOrder.objects.select_related("category__parent", "current_unit").only(*SUMMARY_FIELDS)
        if not branches:
            return Response({"next": None, "results": []})
        page = self.paginate_queryset(branches)
        return self.get_paginated_response([order_summary(o, request.user) for o in page])


# One route per action the table names; a rule naming an action without a service here
# fails at import, not on the first request.
for _kind in ACTION_KINDS:
    setattr(WorkOrderViewSet, f"action_{_kind}", _action_view(_kind))


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Categories: majors have no parent; minors carry routing and limits."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]
    serializer_class = s.CategorySerializer
    lookup_field = "code"
    pagination_class = None
    queryset = Category.objects.select_related("parent").order_by("code")


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """The org tree, flat in path order (parent ids give the tree)."""

    authentication_classes = AUTHENTICATION
    permission_classes = [IsMember]
    serializer_class = s.OrgUnitSerializer
    pagination_class = None
    queryset = OrgUnit.objects.order_by("path")


# --- public (no login) -----------------------------------------------------------------


class PublicThrottle(BaseThrottle):
    """HOTLINE_PUBLIC_THROTTLE per trusted client address, counted in the shared cache
    (hotline.ratelimit: one atomic counter for all processes, no X-Forwarded-For trust)."""

    scope = "public"

    def allow_request(self, request, view) -> bool:
        self.limit, self.window = parse_rate(str(api_settings.DEFAULT_THROTTLE_RATES[self.scope]))
        return allow(bucket=f"api-{self.scope}", who=client_address(request), limit=self.limit, window=self.window)

    def wait(self) -> float:
        return float(seconds_left(self.window))


def tracking_locked_response(number: str) -> Response:
    minutes = max(1, settings.HOTLINE_TRACK_LOCKOUT_SECONDS // 60)
    message = _("查询码错误次数过多，该工单号暂停查询 %(m)d 分钟；如需帮助请拨打 12345。") % {"m": minutes}
    response = Response(error_body("tracking_locked", message), status=429)
    response["Retry-After"] = str(settings.HOTLINE_TRACK_LOCKOUT_SECONDS)
    return response


class PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [PublicThrottle]


class PublicSubmitView(PublicView):
    parser_classes = [MultiPartParser, FormParser, SafeJSONParser]

    @extend_schema(
        summary="Submit a request as a resident (optional photo); returns number and tracking code",
        parameters=[OpenApiParameter("Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False)],
        request={"multipart/form-data": s.PublicSubmitSerializer, "application/json": s.PublicSubmitSerializer},
        responses={
            201: s.PublicSubmittedSerializer,
            400: s.ErrorSerializer,
            409: s.ErrorSerializer,
            422: s.ErrorSerializer,
        },
    )
    def post(self, request):
        return run_idempotent(request, lambda: self._submit(request))

    def _submit(self, request) -> Response:
        parsed = s.PublicSubmitSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        order = services.work_order_intake(**parsed.validated_data)
        body = {"number": order.number, "tracking_code": order.tracking_code, "status": order.status}
        return Response(s.PublicSubmittedSerializer(body).data, status=status.HTTP_201_CREATED)


class PublicTrackView(PublicView):
    @extend_schema(
        summary="Track a request by number and tracking code",
        parameters=[
            OpenApiParameter("number", OpenApiTypes.STR, required=True),
            OpenApiParameter("code", OpenApiTypes.STR, required=True),
        ],
        responses={200: s.PublicViewSerializer, 400: s.ErrorSerializer, 404: s.ErrorSerializer},
    )
    def get(self, request):
        query = s.PublicTrackQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        number, client = query.validated_data["number"], client_address(request)
        if tracking_locked(number=number, client=client):
            return tracking_locked_response(number)
        view = public_track(**query.validated_data)
        if view is None:
            tracking_failed(number=number, client=client)
            return Response(error_body("not_found", _("工单号或查询码不正确。")), status=404)
        return Response(s.PublicViewSerializer(view).data)


class PublicRateView(PublicView):
    @extend_schema(
        summary="Rate the result after the reply (the resident's own callback)",
        request=s.PublicRateSerializer,
        responses={200: s.PublicViewSerializer, 400: s.ErrorSerializer},
    )
    def post(self, request):
        parsed = s.PublicRateSerializer(data=request.data)
        parsed.is_valid(raise_exception=True)
        number, client = parsed.validated_data["number"], client_address(request)
        if tracking_locked(number=number, client=client):
            return tracking_locked_response(number)
        try:
            order = public_rate(**parsed.validated_data)
        except WorkflowError as exc:
            if public_track(number=number, code=parsed.validated_data["code"]) is None:  # a wrong code
                tracking_failed(number=number, client=client)
            return workflow_error_response(exc)
        view = public_track(number=order.number, code=order.tracking_code)
        return Response(s.PublicViewSerializer(view).data)
