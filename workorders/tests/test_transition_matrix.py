"""Every (status, event kind) pair of the transition table: allowed moves succeed and
write the right event; every other pair is refused with a message naming the status,
and changes nothing."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from workorders import services as svc
from workorders.choices import Status
from workorders.errors import InvalidTransition
from workorders.models import Deadline, Event, WorkOrder
from workorders.transitions import CREATE, TRANSITIONS
from workorders.workflow import transition


def build(d, log_call, status: str) -> WorkOrder:
    """An order in ``status``, reached through the services."""
    op, disp, h = d.user("operator"), d.user("dispatcher"), d.user("handler_a")
    if status in {Status.SUBMITTED, Status.REJECTED, Status.MERGED}:
        # A grid worker's patrol report: the one submission that can also be self-handled.
        order = svc.work_order_submit(
            actor=d.user("grid_worker_a"),
            channel="patrol",
            title="井盖丢了",
            description="路口井盖丢失",
            caller_phone="13900001111",
            lat=39.905,
            lng=116.305,
            category=d.cat_territorial,
        )
        if status == Status.REJECTED:
            order = svc.work_order_reject(order=order, actor=op, reason="重复")
        if status == Status.MERGED:
            order = svc.work_order_merge(order=order, actor=op, into=log_call())
        return order
    order = log_call()
    steps = [
        (Status.ASSIGNED, lambda o: svc.work_order_assign(order=o, actor=disp, unit=d.street_a)),
        (Status.RETURNED, None),
        (Status.IN_PROGRESS, lambda o: svc.work_order_sign(order=o, actor=h)),
        (Status.REPLIED, lambda o: svc.work_order_reply(order=o, actor=h, reply="已处理")),
        (Status.CALLBACK, lambda o: svc.work_order_approve(order=o, actor=disp)),
        (
            Status.CLOSED,
            lambda o: svc.work_order_callback(
                order=o, actor=op, contacted=True, resolution="solved", satisfaction="satisfied"
            ),
        ),
    ]
    if status == Status.ACCEPTED:
        return order
    order = steps[0][1](order)
    if status == Status.ASSIGNED:
        return order
    if status == Status.RETURNED:
        return svc.work_order_return(order=order, actor=h, reason="not_territory", note="非本辖区")
    for target, step in steps[2:]:
        order = step(order)
        if target == status:
            return order
    assert order.status == status
    return order


def prepare(kind: str, d, order: WorkOrder) -> WorkOrder:
    """Set up what an allowed move needs beyond the status (a pending request …)."""
    h = d.user("handler_a")
    if kind in {"approve_extension", "deny_extension"}:
        due = order.deadlines.get(stage="handle", state="open").due_at
        return svc.work_order_request_extension(
            order=order, actor=h, proposed_due=due + timedelta(days=3), reason="需协调"
        )
    if kind in {"cohandler_sign", "cohandler_report"}:
        order = svc.work_order_add_cohandlers(order=order, actor=h, units=[d.dept])
        if kind == "cohandler_report":
            order = svc.work_order_cohandler_sign(order=order, actor=d.user("handler_dept"))
        return order
    if kind == "self_handle":  # the photo of the result, stored as the page does
        import io

        from django.core.files.uploadedfile import SimpleUploadedFile
        from PIL import Image

        from attachments.services import attachment_add

        buffer = io.BytesIO()
        Image.new("RGB", (8, 8), "gray").save(buffer, "PNG")
        upload = SimpleUploadedFile("done.png", buffer.getvalue(), content_type="image/png")
        attachment_add(order=order, upload=upload, field="photo", public=False)
        return order
    if kind == "return_up":
        order = svc.work_order_sign(order=order, actor=h)
        return svc.work_order_sub_dispatch(order=order, actor=h, unit=d.community_a)
    # governance: a pending request to decide, a breach to appeal, an order at the center.
    if kind in {"exclusion_approve", "exclusion_deny"}:
        from governance.services import exclusion_request

        exclusion_request(order=order, actor=d.user("supervisor"), reason="duplicate", note="重复")
    if kind.startswith("appeal_"):
        now = timezone.now()
        breach = Deadline.objects.create(
            order=order,
            stage="sign",
            unit=d.street_a,
            limit="30m",
            opened_at=now,
            warn_at=now,
            due_at=now,
            closed_at=now,
            state="breached",
            breached_at=now,
        )
        if kind != "appeal_file":
            from governance.services import appeal_file

            appeal_file(order=order, actor=d.user("supervisor"), target="breach", subject_id=breach.pk, reason="申诉")
    if kind == "center_redispatch":
        WorkOrder.objects.filter(pk=order.pk).update(current_unit=d.center, lead_unit=d.center)
    return order


def _governance(kind: str, d, order: WorkOrder) -> WorkOrder:
    from governance import services as gov
    from governance.models import Appeal, Exclusion

    sup = d.user("supervisor")
    if kind == "exclusion_request":
        gov.exclusion_request(order=order, actor=sup, reason="malicious", note="恶意")
    elif kind in {"exclusion_approve", "exclusion_deny"}:
        ex = Exclusion.objects.filter(order=order).latest("pk")
        gov.exclusion_decide(exclusion=ex, actor=sup, approve=kind == "exclusion_approve", note="审核")
    elif kind == "appeal_file":
        breach = Deadline.objects.filter(order=order, state="breached").latest("pk")
        gov.appeal_file(order=order, actor=sup, target="breach", subject_id=breach.pk, reason="申诉")
    elif kind in {"appeal_uphold", "appeal_dismiss"}:
        appeal = Appeal.objects.filter(order=order).latest("pk")
        gov.appeal_decide(appeal=appeal, actor=sup, uphold=kind == "appeal_uphold", note="裁定")
    elif kind == "center_redispatch":
        svc.work_order_center_redispatch(order=order, actor=d.user("dispatcher"), unit=d.street_b, note="兜底改派")
    return order


def act(kind: str, d, order: WorkOrder, other: WorkOrder) -> WorkOrder:
    """Perform ``kind`` through its service, as the user whose job it is."""
    from community.emergency import emergency_transfer_create  # issue 16's event kinds
    from community.revisits import revisit_record
    from community.routing import community_dispatch, order_escalate

    op, disp, sup = d.user("operator"), d.user("dispatcher"), d.user("supervisor")
    h = d.user("handler_community_a") if kind == "return_up" else d.user("handler_a")
    hd = d.user("handler_dept")
    calls = {
        "accept": lambda: svc.work_order_accept(order=order, actor=op, category=d.cat_territorial),
        "reject": lambda: svc.work_order_reject(order=order, actor=op, reason="不属于受理范围"),
        "merge": lambda: svc.work_order_merge(order=order, actor=op, into=other),
        "answer_now": lambda: svc.work_order_answer_now(order=order, actor=op, answer="已解答"),
        "self_handle": lambda: svc.work_order_self_handle(
            order=order, actor=d.user("grid_worker_a"), result="已现场清理"
        ),
        "assign": lambda: svc.work_order_assign(order=order, actor=disp, unit=d.street_a),
        "sign": lambda: svc.work_order_sign(order=order, actor=h),
        "return": lambda: svc.work_order_return(order=order, actor=h, reason="other", note="不归我们管"),
        "return_up": lambda: svc.work_order_return_up(order=order, actor=h, note="需街道协调"),
        "reassign": lambda: svc.work_order_reassign(order=order, actor=disp, unit=d.street_b),
        "sub_dispatch": lambda: svc.work_order_sub_dispatch(order=order, actor=h, unit=d.community_a),
        "contact": lambda: svc.work_order_contact(order=order, actor=h, note="已联系"),
        "request_extension": lambda: svc.work_order_request_extension(
            order=order, actor=h, proposed_due=order.created_at + timedelta(days=60), reason="需协调"
        ),
        "approve_extension": lambda: svc.work_order_approve_extension(order=order, actor=disp),
        "deny_extension": lambda: svc.work_order_deny_extension(order=order, actor=disp, note="理由不充分"),
        "add_cohandler": lambda: svc.work_order_add_cohandlers(order=order, actor=h, units=[d.dept]),
        "cohandler_sign": lambda: svc.work_order_cohandler_sign(order=order, actor=hd),
        "cohandler_report": lambda: svc.work_order_cohandler_report(order=order, actor=hd, report="已配合"),
        "urge": lambda: svc.work_order_urge(order=order, actor=sup, note="请加快"),
        "reclassify": lambda: svc.work_order_reclassify(order=order, actor=disp, category=d.cat_department),
        "reply": lambda: svc.work_order_reply(order=order, actor=h, reply="已处理"),
        "approve": lambda: svc.work_order_approve(order=order, actor=disp),
        "send_back": lambda: svc.work_order_send_back(order=order, actor=disp, note="请补充"),
        "callback_close": lambda: svc.work_order_callback(
            order=order, actor=op, contacted=True, resolution="solved", satisfaction="basic"
        ),
        "reopen": lambda: svc.work_order_callback(
            order=order, actor=op, contacted=True, resolution="unsolved", satisfaction="unsatisfied"
        ),
        "callback_unreachable": lambda: svc.work_order_callback(order=order, actor=op, contacted=False),
        "close_unreachable": lambda: _close_unreachable(order, op),
        "supplement": lambda: svc.work_order_attach_call(
            order=order, actor=op, caller_phone="13900001111", text="楼下也看到了"
        ),
        "caller_chase": lambda: svc.work_order_attach_call(
            order=order, actor=op, caller_phone="13900001111", text="", chase=True
        ),
        "reveal_caller": lambda: svc.work_order_reveal_caller(order=order, actor=d.user("dispatcher")) and order,
        "transfer_emergency": lambda: emergency_transfer_create(order=order, actor=op, line="110", note="有人打架"),
        "revisit_confirm": lambda: revisit_record(revisit=_revisit(order), actor=op, outcome="satisfied") and order,
        "revisit_reopen": lambda: revisit_record(
            revisit=_revisit(order), actor=op, outcome="unsatisfied", note="又来了"
        ),
        # Community first (issue 16): straight to the community; a handler sends it up.
        "community_dispatch": lambda: community_dispatch(
            order=order, community=d.community_a, reason={"code": "channel_routing"}
        ),
        "escalate": lambda: order_escalate(order=order, actor=h, to="center", note="超出街道能力"),
        # 现场核查 (issue 16): a photo and a position inside the order's grid.
        "site_check": lambda: svc.work_order_site_check(
            order=order, actor=h, photo=_site_photo(), lat=39.905, lng=116.305
        ),
    }
    if kind in calls:
        return calls[kind]()
    if kind.startswith(("exclusion_", "appeal_")) or kind == "center_redispatch":
        return _governance(kind, d, order)
    # Kinds without a person's service (the scanner's marks) are the machine's own.
    assert TRANSITIONS[kind].system, f"no service mapped for {kind}"
    return transition(order=order, kind=kind, actor=None)


def _site_photo():
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "gray").save(buffer, "PNG")
    return SimpleUploadedFile("site.png", buffer.getvalue(), content_type="image/png")


def _revisit(order):
    """A due 回头看 of the order's closure (issue 16), as the scan would make it."""
    from community.models import Revisit

    unit = order.lead_unit or order.street
    at = order.closed_at or order.created_at
    return Revisit.objects.create(order=order, closed_at=at, unit=unit, due_at=at)


def _close_unreachable(order, op):
    WorkOrder.objects.filter(pk=order.pk).update(callback_attempts=99)  # the attempts are used up
    return svc.work_order_callback(order=order, actor=op, contacted=False)


KINDS = [k for k, rule in TRANSITIONS.items() if CREATE not in rule.sources]


def snapshot(order: WorkOrder):
    o = WorkOrder.objects.get(pk=order.pk)
    return (
        o.status,
        o.version,
        o.current_unit_id,
        o.lead_unit_id,
        o.events.count(),
        Deadline.objects.filter(order=o).count(),
    )


@pytest.mark.parametrize("status", list(Status.values))
def test_every_event_kind_from_every_status(status, district, log_call):
    d = district
    order = build(d, log_call, status)
    other = log_call(title="另一单")
    assert order.status == status
    failures = []
    for kind in KINDS:
        rule = TRANSITIONS[kind]
        sid = transaction.savepoint()
        try:
            if status in rule.sources:
                subject = prepare(kind, d, order)
                before_events = subject.events.count()
                result = act(kind, d, subject, other)
                result = WorkOrder.objects.get(pk=order.pk)
                last = Event.objects.filter(order=result).order_by("-seq").first()
                expected = rule.target or subject.status
                if result.status != expected or last.kind != kind or result.events.count() != before_events + 1:
                    failures.append(f"{status}+{kind}: got {result.status}/{last.kind}, want {expected}/{kind}")
            else:
                before = snapshot(order)
                try:
                    act(kind, d, order, other)
                except InvalidTransition as exc:
                    label = str(Status(status).label)
                    if label not in exc.message or exc.details["status"] != status:
                        failures.append(f"{status}+{kind}: message does not name the status: {exc.message}")
                else:
                    failures.append(f"{status}+{kind}: was allowed but the table forbids it")
                if snapshot(order) != before:
                    failures.append(f"{status}+{kind}: a refused move changed the order")
        except Exception as exc:  # noqa: BLE001 - collect every pair's failure, report together
            failures.append(f"{status}+{kind}: {type(exc).__name__}: {exc}")
        finally:
            transaction.savepoint_rollback(sid)
    assert not failures, "\n".join(failures)


def test_refusal_lists_what_is_allowed(district, log_call):
    order = log_call()
    with pytest.raises(InvalidTransition) as info:
        svc.work_order_sign(order=order, actor=district.user("handler_a"))
    assert "待派单" in info.value.message and "签收" in info.value.message
    assert "派单" in info.value.message  # what the accepted status allows
    assert "assign" in info.value.details["allowed"]


S = Status
# The life cycle of DESIGN.md, written out independently of transitions.py: a change
# to the table that is not also a change to the design fails here.
DESIGN = {
    "log_call": ({CREATE}, S.ACCEPTED),
    "submit": ({CREATE}, S.SUBMITTED),
    "accept": ({S.SUBMITTED}, S.ACCEPTED),
    "reject": ({S.SUBMITTED}, S.REJECTED),
    "merge": ({S.SUBMITTED}, S.MERGED),
    "answer_now": ({S.ACCEPTED}, S.CLOSED),
    # 自行处置: the grid worker fixed on the spot what they report (with a photo).
    "self_handle": ({S.SUBMITTED}, S.CLOSED),
    "assign": ({S.ACCEPTED}, S.ASSIGNED),
    "sign": ({S.ASSIGNED}, S.IN_PROGRESS),
    "return": ({S.ASSIGNED}, S.RETURNED),
    "return_up": ({S.ASSIGNED}, S.IN_PROGRESS),
    "reassign": ({S.RETURNED}, S.ASSIGNED),
    "center_redispatch": ({S.ASSIGNED}, S.ASSIGNED),  # 兜底: the center sends on what bounced to it
    "sub_dispatch": ({S.IN_PROGRESS}, S.ASSIGNED),
    "contact": ({S.IN_PROGRESS}, None),
    "request_extension": ({S.IN_PROGRESS}, None),
    "approve_extension": ({S.IN_PROGRESS}, None),
    "deny_extension": ({S.IN_PROGRESS}, None),
    "add_cohandler": ({S.IN_PROGRESS}, None),
    "cohandler_sign": ({S.IN_PROGRESS}, None),
    "cohandler_report": ({S.IN_PROGRESS}, None),
    "urge": ({S.ASSIGNED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.CALLBACK}, None),
    # A dispatcher corrects category/place of any live order (the model learns from it).
    "reclassify": ({S.ACCEPTED, S.ASSIGNED, S.RETURNED, S.IN_PROGRESS, S.REPLIED, S.CALLBACK}, None),
    "reply": ({S.IN_PROGRESS}, S.REPLIED),
    "approve": ({S.REPLIED}, S.CALLBACK),
    "send_back": ({S.REPLIED}, S.IN_PROGRESS),
    "callback_close": ({S.CALLBACK}, S.CLOSED),
    "reopen": ({S.CALLBACK}, S.IN_PROGRESS),
    "callback_unreachable": ({S.CALLBACK}, None),
    "close_unreachable": ({S.CALLBACK}, S.CLOSED),
    # Issue 16: a matter for 110/119/120/122 is handed over before dispatch and closes here.
    "transfer_emergency": ({S.SUBMITTED, S.ACCEPTED}, S.CLOSED),
    # Issue 16: an unsatisfied 回头看 of a closed order reopens it for the unit.
    "revisit_reopen": ({S.CLOSED}, S.IN_PROGRESS),
    # Issue 16: 现场核查, a site visit recorded while handling; the status stays.
    "site_check": ({S.IN_PROGRESS}, None),
    # Issue 16: a channel routed community first sends a submission straight to the
    # community; its handler sends what is beyond it up to the street or the center.
    "community_dispatch": ({S.SUBMITTED}, S.ASSIGNED),
    "escalate": ({S.ASSIGNED, S.IN_PROGRESS}, S.ASSIGNED),
}


def test_table_matches_the_designed_life_cycle():
    actual = {k: (set(r.sources), r.target) for k, r in TRANSITIONS.items() if not r.audit_only}
    assert actual == DESIGN


def test_audit_only_events_never_change_status():
    for kind, rule in TRANSITIONS.items():
        if rule.audit_only:
            assert rule.target is None and not (rule.opens or rule.closes or rule.cancels), kind
