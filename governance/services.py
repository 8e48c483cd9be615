"""考核 and 派单异议 as typed services (``<entity>_<verb>``).

Every step on an order (exclusion requested/decided, appeal filed/decided) is an event
through ``workflow.transition()``; the governance row is written inside that same
transaction (the ``change`` callback), locked when it is decided, so two people deciding
one appeal at once get one decision and a clear refusal, never two.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from attachments.services import attachment_add
from dashboards.selectors import CALLBACK_KINDS
from governance.models import (
    INDICATOR_KINDS,
    Appeal,
    AppealState,
    AppealTarget,
    Decision,
    Exclusion,
    ExclusionReason,
    Indicator,
    Period,
    Report,
    ReportState,
    Scheme,
)
from governance.scoring import period_bounds, ranking
from grids.models import Membership, OrgUnit, Role, UnitKind
from grids.selectors import memberships_of
from workorders.choices import DeadlineState, Satisfaction, Stage
from workorders.errors import InvalidInput, NotAllowed
from workorders.models import Deadline, Event, WorkOrder
from workorders.services import work_order_reassign
from workorders.workflow import Step, transition

MAX_FILES = 5


def _at_center(m: Membership | None) -> None:
    if m is None or m.unit.kind != UnitKind.CENTER:
        raise NotAllowed(_("只有中心可以审核。"))


def center_membership(user: AbstractBaseUser, roles: set[str]) -> Membership | None:
    return next((m for m in memberships_of(user) if m.unit.kind == UnitKind.CENTER and m.role in roles), None)


def _covers(m: Membership, unit_id: int | None) -> bool:
    if unit_id is None:
        return False
    unit = OrgUnit.objects.filter(pk=unit_id).first()
    return unit is not None and unit.path.startswith(m.unit.path)


def _files(order: WorkOrder, files: list[UploadedFile], now: datetime) -> list:
    if len(files) > MAX_FILES:
        raise InvalidInput({"files": _("最多上传 %(n)d 个附件。") % {"n": MAX_FILES}})
    # public=False: staff evidence may be larger photos (attachments.services' limits).
    return [attachment_add(order=order, upload=f, field="files", public=False, now=now) for f in files]


# --- schemes ----------------------------------------------------------------------


def scheme_weights_clean(weights: dict) -> dict[str, float]:
    if not isinstance(weights, dict) or not weights:
        raise InvalidInput({"weights": _("请至少设置一个指标的权重。")})
    clean = {}
    for key, value in weights.items():
        if key not in Indicator.values:
            raise InvalidInput({"weights": _("未知指标：%(k)s") % {"k": key}})
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InvalidInput({"weights": _("指标「%(k)s」的权重必须是数字。") % {"k": key}}) from None
        if number < 0 or number != number or number > 1000:
            raise InvalidInput({"weights": _("指标「%(k)s」的权重应在 0 到 1000 之间。") % {"k": key}})
        clean[key] = number
    if not any(clean.values()):
        raise InvalidInput({"weights": _("权重不能全为 0。")})
    return clean


def scheme_save_version(
    *,
    code: str,
    name: str,
    unit_kind: str,
    weights: dict,
    period: str = Period.MONTH,
    activate: bool = True,
    note: str = "",
    actor: AbstractBaseUser | None = None,
    now: datetime | None = None,
) -> Scheme:
    """A scheme's next version (rows are never edited); activating it retires the one in
    force for the same kind of unit."""
    if period not in Period.values:
        raise InvalidInput({"period": _("未知考核周期。")})
    weights = scheme_weights_clean(weights)
    for key in weights:
        if unit_kind not in INDICATOR_KINDS.get(key, (unit_kind,)):
            raise InvalidInput({"weights": _("指标「%(k)s」不适用于该类考核对象。") % {"k": Indicator(key).label}})
    with transaction.atomic():
        # Lock the code's versions so two admins saving at once get versions n+1 and n+2.
        last = Scheme.objects.select_for_update().filter(code=code).order_by("-version").first()
        if activate:
            Scheme.objects.filter(unit_kind=unit_kind, is_active=True).update(is_active=False)
        return Scheme.objects.create(
            code=code,
            version=(last.version + 1) if last else 1,
            name=name,
            unit_kind=unit_kind,
            period=period,
            weights=weights,
            is_active=activate,
            note=note,
            created_by=actor,
            created_at=now or timezone.now(),
        )


# --- exclusions -------------------------------------------------------------------


def exclusion_request(
    *,
    order: WorkOrder,
    actor: AbstractBaseUser,
    reason: str,
    note: str,
    files: list[UploadedFile] = (),
    now: datetime | None = None,
) -> Exclusion:
    """A unit asks the center to leave ``order`` out of its assessment (event exclusion_request)."""
    if reason not in ExclusionReason.values:
        raise InvalidInput({"reason": _("请选择剔除类型。")})
    now = now or timezone.now()
    made: list[Exclusion] = []

    def change(o: WorkOrder, m, at) -> Step:
        try:
            with transaction.atomic():
                ex = Exclusion.objects.create(
                    order=o, reason=reason, note=note.strip(), unit=m.unit, requested_by=actor, requested_at=at
                )
        except IntegrityError:
            raise InvalidInput({"order": _("该工单已有待审核或已同意的剔除申请。")}) from None
        ex.evidence.set(_files(o, list(files), at))
        made.append(ex)
        return Step(payload={"exclusion": ex.pk, "reason": reason})

    transition(order=order.pk, kind="exclusion_request", actor=actor, change=change, note=note, now=now)
    return made[0]


def exclusion_decide(
    *, exclusion: Exclusion, actor: AbstractBaseUser, approve: bool, note: str, now: datetime | None = None
) -> Exclusion:
    """The center approves (the order leaves the figures) or denies a request."""
    decided: list[Exclusion] = []

    def change(o: WorkOrder, m, at) -> Step:
        _at_center(m)
        ex = Exclusion.objects.select_for_update().get(pk=exclusion.pk)
        if ex.state != Decision.PENDING:
            raise InvalidInput({"state": _("该申请已审核（%(s)s）。") % {"s": ex.get_state_display()}})
        ex.state = Decision.APPROVED if approve else Decision.DENIED
        ex.decided_by, ex.decided_at, ex.decision_note = actor, at, note.strip()
        ex.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        decided.append(ex)
        return Step(payload={"exclusion": ex.pk, "decision": ex.state})

    kind = "exclusion_approve" if approve else "exclusion_deny"
    transition(order=exclusion.order_id, kind=kind, actor=actor, change=change, note=note, now=now)
    return decided[0]


# --- appeals ----------------------------------------------------------------------


def _appeal_subject(o: WorkOrder, m: Membership, target: str, subject_id: int, at: datetime):
    """(deadline, event, when) of the contested fact, checked to be this unit's."""
    if target == AppealTarget.BREACH:
        d = Deadline.objects.filter(pk=subject_id, order=o, stage__in=[Stage.SIGN, Stage.HANDLE]).first()
        if d is None or not (d.state == DeadlineState.BREACHED or (d.state == DeadlineState.OPEN and d.due_at < at)):
            raise InvalidInput({"subject": _("只能对已超时的签收或办理环节申诉。")})
        if not _covers(m, d.unit_id):
            raise InvalidInput({"subject": _("该超时不属于本单位。")})
        return d, None, d.breached_at or d.due_at
    event = Event.objects.filter(pk=subject_id, order=o).first()
    if target == AppealTarget.RATING:
        bad = event is not None and event.kind in CALLBACK_KINDS
        bad = bad and (
            event.payload.get("satisfaction") == Satisfaction.UNSATISFIED or event.payload.get("resolution") != "solved"
        )
        if not bad:
            raise InvalidInput({"subject": _("只能对不满意或未解决的回访评价申诉。")})
        if not _covers(m, event.payload.get("lead_unit", o.lead_unit_id)):
            raise InvalidInput({"subject": _("该回访评价不属于本单位。")})
        return None, event, event.created_at
    if target == AppealTarget.RETURN:
        if event is None or event.kind != "return" or not _covers(m, event.payload.get("from_unit")):
            raise InvalidInput({"subject": _("只能对本单位的退单申诉。")})
        return None, event, event.created_at
    raise InvalidInput({"target": _("请选择申诉事项。")})


def appeal_file(
    *,
    order: WorkOrder,
    actor: AbstractBaseUser,
    target: str,
    subject_id: int,
    reason: str,
    files: list[UploadedFile] = (),
    now: datetime | None = None,
) -> Appeal:
    """申诉 within HOTLINE_APPEAL_DAYS of the contested breach, rating or return (event appeal_file)."""
    made: list[Appeal] = []

    def change(o: WorkOrder, m, at) -> Step:
        deadline, event, when = _appeal_subject(o, m, target, subject_id, at)
        limit = timedelta(days=settings.HOTLINE_APPEAL_DAYS)
        if at > when + limit:
            raise InvalidInput({"subject": _("已超过申诉期限（%(d)d 天）。") % {"d": settings.HOTLINE_APPEAL_DAYS}})
        try:
            with transaction.atomic():
                appeal = Appeal.objects.create(
                    order=o,
                    unit=m.unit,
                    target=target,
                    deadline=deadline,
                    event=event,
                    reason=reason.strip(),
                    filed_by=actor,
                    filed_at=at,
                )
        except IntegrityError:
            raise InvalidInput({"subject": _("该事项已有待裁定或已成立的申诉。")}) from None
        appeal.attachments.set(_files(o, list(files), at))
        made.append(appeal)
        return Step(payload={"appeal": appeal.pk, "target": target, "subject": subject_id})

    transition(order=order.pk, kind="appeal_file", actor=actor, change=change, note=reason, now=now)
    return made[0]


def appeal_decide(
    *, appeal: Appeal, actor: AbstractBaseUser, uphold: bool, note: str, now: datetime | None = None
) -> Appeal:
    """The center upholds (the contested row leaves the unit's figures) or dismisses."""
    decided: list[Appeal] = []

    def change(o: WorkOrder, m, at) -> Step:
        _at_center(m)
        a = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if a.state != AppealState.PENDING:
            raise InvalidInput({"state": _("该申诉已裁定（%(s)s）。") % {"s": a.get_state_display()}})
        a.state = AppealState.UPHELD if uphold else AppealState.DISMISSED
        a.decided_by, a.decided_at, a.decision_note = actor, at, note.strip()
        a.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        decided.append(a)
        return Step(payload={"appeal": a.pk, "decision": a.state})

    kind = "appeal_uphold" if uphold else "appeal_dismiss"
    transition(order=appeal.order_id, kind=kind, actor=actor, change=change, note=note, now=now)
    return decided[0]


# --- 派单异议: the center's review of a return ---------------------------------------


def return_review_decide(
    *,
    order: WorkOrder,
    actor: AbstractBaseUser,
    uphold: bool,
    reason: str,
    unit: OrgUnit | None = None,
    override: str = "",
    now: datetime | None = None,
) -> WorkOrder:
    """派单异议审核: the return stands (the order goes to ``unit``, another unit) or is
    overruled (it goes back to the unit that returned it). The decision and reason are
    recorded on the reassign event, which closes the return_review deadline."""
    # The center's dispatchers: reassigning is their move in the transition table.
    if center_membership(actor, {Role.DISPATCHER}) is None:
        raise NotAllowed(_("只有中心可以审核退单。"))
    if not reason.strip():
        raise InvalidInput({"reason": _("请填写审核理由。")})
    last = Event.objects.filter(order=order, kind="return").order_by("-seq").first()
    from_unit = last.payload.get("from_unit") if last else None
    if uphold:
        if unit is None or unit.pk == from_unit:
            raise InvalidInput({"unit": _("退单成立时请改派给其他单位。")})
    else:
        unit = OrgUnit.objects.filter(pk=from_unit).first()
        if unit is None:
            raise InvalidInput({"unit": _("找不到退单单位。")})
    review = {"decision": "upheld" if uphold else "overruled", "reason": reason.strip(), "from_unit": from_unit}
    return work_order_reassign(
        order=order, actor=actor, unit=unit, note=reason, override=override, review=review, now=now
    )


# --- reports ----------------------------------------------------------------------


def _snapshot(scheme: Scheme, start: datetime, end: datetime, unit: OrgUnit | None, now: datetime) -> dict:
    rows = ranking(scheme=scheme, start=start, end=end, now=now)
    out = []
    for r in rows:
        if unit is not None and r.unit.pk != unit.pk:
            continue
        out.append(
            {
                "unit": r.unit.pk,
                "name": r.unit.name,
                "rank": r.rank,
                "score": r.score,
                "figures": {k: [f.numerator, f.denominator] for k, f in r.figures.items()},
            }
        )
    return {
        "scheme": {"code": scheme.code, "version": scheme.version, "name": scheme.name, "weights": scheme.weights},
        "units_ranked": sum(1 for r in rows if r.rank is not None),
        "rows": out,
        "excluded_orders": Exclusion.objects.filter(state=Decision.APPROVED).count(),
        "upheld_appeals": Appeal.objects.filter(state=AppealState.UPHELD).count(),
        "computed_at": now.isoformat(),
    }


def report_draft(
    *, scheme: Scheme, month: date, actor: AbstractBaseUser, unit: OrgUnit | None = None, now: datetime | None = None
) -> Report:
    """Compute and freeze a monthly report (district-wide when ``unit`` is None)."""
    if center_membership(actor, {Role.SUPERVISOR, Role.ADMIN}) is None and not actor.is_superuser:
        raise NotAllowed(_("只有中心可以生成考核报告。"))
    now = now or timezone.now()
    start, end = period_bounds(Period.MONTH, month)
    if start > now:
        raise InvalidInput({"month": _("该月份尚未开始。")})
    return Report.objects.create(
        period_start=start.date(),
        period_end=end.date(),
        scheme=scheme,
        unit=unit,
        data=_snapshot(scheme, start, end, unit, now),
        created_by=actor,
        created_at=now,
    )


def report_sign(*, report: Report, actor: AbstractBaseUser, now: datetime | None = None) -> Report:
    """签批: a lead (supervisor at the center) signs the draft, which publishes it."""
    if center_membership(actor, {Role.SUPERVISOR}) is None:
        raise NotAllowed(_("只有中心领导可以签批。"))
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.state != ReportState.DRAFT:
            raise InvalidInput({"state": _("该报告已签批发布。")})
        locked.state = ReportState.PUBLISHED
        locked.signed_by, locked.signed_at = actor, now or timezone.now()
        locked.save(update_fields=["state", "signed_by", "signed_at"])
    return locked


def push_down_overrides(*, start: datetime, end: datetime):
    """The center's overrides of the no-push-down rule in a period (counted on the page)."""
    return Event.objects.filter(
        kind__in=("assign", "reassign", "center_redispatch"),
        created_at__gte=start,
        created_at__lt=end,
        payload__has_key="push_down_override",
    )
