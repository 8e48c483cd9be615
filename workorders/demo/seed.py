"""Build the demo district and a few thousand historical orders through the services,
so every order's events, timers and numbers are real. Idempotent: units, categories and
users are matched by code/username; orders are created only when there are none."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from grids.models import AddressAlias, Membership, OrgUnit, ServiceArea, StaffPhone, UnitKind
from grids.selectors import units_serving
from workorders import services as svc
from workorders.choices import Channel, DeadlineState, RequestType, ReturnReason, Routing, Stage, Status, Urgency
from workorders.demo import corpus, data, taxonomy
from workorders.demo.places import seed_places
from workorders.errors import WorkflowError
from workorders.models import Category, WorkOrder
from workorders.workflow import suppress_follow_ups


def _rect(x0: float, y0: float, x1: float, y1: float) -> dict:
    ring = [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _unit(code: str, **fields) -> OrgUnit:
    unit, created = OrgUnit.objects.get_or_create(code=code, defaults=fields)
    return unit


def seed_units() -> dict[str, OrgUnit]:
    units: dict[str, OrgUnit] = {}
    code, name, phone = data.CENTER
    center = units[code] = _unit(code, name=name, kind=UnitKind.CENTER, contact_phone=phone)
    for code, name, phone in data.DEPARTMENTS:
        units[code] = _unit(code, name=name, kind=UnitKind.DEPARTMENT, parent=center, contact_phone=phone)
    x0, y0, x1, y1 = data.DISTRICT_BOUNDS
    col_w = (x1 - x0) / len(data.STREETS)
    for si, (scode, sname, communities) in enumerate(data.STREETS):
        sx0, sx1 = x0 + si * col_w, x0 + (si + 1) * col_w
        street = units[scode] = _unit(
            scode,
            name=sname,
            kind=UnitKind.STREET,
            parent=center,
            boundary=_rect(sx0, y0, sx1, y1),
            contact_phone=f"010-6240{si + 1:02d}00",
        )
        row_h = (y1 - y0) / len(communities)
        for ci, (cname, estates, road) in enumerate(communities):
            cy0, cy1 = y0 + ci * row_h, y0 + (ci + 1) * row_h
            ccode = f"{scode}-{ci + 1:02d}"
            community = units[ccode] = _unit(
                ccode,
                name=cname,
                kind=UnitKind.COMMUNITY,
                parent=street,
                boundary=_rect(sx0, cy0, sx1, cy1),
                contact_phone=f"010-6240{si + 1:02d}{ci + 1:02d}",
            )
            n_grids = 3 if (si + ci) % 2 == 0 else 2
            gw = (sx1 - sx0) / n_grids
            for gi in range(n_grids):
                gcode = f"{ccode}-{gi + 1:02d}"
                units[gcode] = _unit(
                    gcode,
                    name=f"{cname}{gi + 1}号网格",
                    kind=UnitKind.GRID,
                    parent=community,
                    boundary=_rect(sx0 + gi * gw, cy0, sx0 + (gi + 1) * gw, cy1),
                )
            for gi, alias in enumerate([*estates, road]):
                grid = units[f"{ccode}-{(gi % n_grids) + 1:02d}"]
                AddressAlias.objects.get_or_create(alias=alias, defaults={"community": community, "grid": grid})
    for pcode, pname, home, estates in data.PROPERTY_COMPANIES:
        company = units[pcode] = _unit(
            pcode, name=pname, kind=UnitKind.PROPERTY, parent=units[home], contact_phone=f"010-6250{pcode[-2:]}00"
        )
        for alias in AddressAlias.objects.filter(alias__in=estates):
            ServiceArea.objects.get_or_create(
                unit=company, community_id=alias.community_id, grid_id=alias.grid_id, defaults={"name": alias.alias}
            )
    return units


def seed_categories(units: dict[str, OrgUnit]) -> list[Category]:
    minors = []
    for mcode, mname, items in data.CATEGORIES:
        major, _ = Category.objects.get_or_create(code=mcode, defaults={"name": mname})
        for i, (name, routing, dept, sign, contact, handle, callback, keywords) in enumerate(items, start=1):
            urgent_handle = handle if handle.endswith("h") and int(handle[:-1]) <= 4 else "24h"
            cat, _ = Category.objects.get_or_create(
                code=f"{mcode}{i:02d}",
                defaults=dict(
                    name=name,
                    parent=major,
                    routing=routing,
                    department=units.get(dept) if dept else None,
                    sign_limit=sign,
                    contact_limit=contact,
                    handle_limit=handle,
                    callback_limit=callback,
                    urgent_sign_limit="15m",
                    urgent_contact_limit="30m",
                    urgent_handle_limit=urgent_handle,
                    closure_standard=taxonomy.closure_text(name, data.CLOSURE_STANDARD[routing]),
                    keywords=taxonomy.keywords_for(name, keywords),
                ),
            )
            minors.append(cat)
    return minors


_password_hash: list[str] = []


def _user(username: str, display: str):
    # One PBKDF2 hash shared by all demo accounts: hashing ~80 passwords one by one
    # costs half a minute for nothing.
    if not _password_hash:
        _password_hash.append(make_password(data.DEMO_PASSWORD))
    User = get_user_model()
    user, _ = User.objects.get_or_create(
        username=username, defaults={"first_name": display, "password": _password_hash[0]}
    )
    return user


def seed_users(units: dict[str, OrgUnit]) -> dict[str, object]:
    users = {}
    for username, display, unit_code, role in data.DEMO_USERS:
        user = users[username] = _user(username, display)
        Membership.objects.get_or_create(user=user, unit=units[unit_code], role=role)
        # Demo staff have their own (fictional, 1390000xxxx) mobiles for SMS; the
        # per-unit handler accounts below fall back to their unit's duty phone.
        StaffPhone.objects.get_or_create(user=user, defaults={"mobile": f"1390000{user.pk % 10000:04d}"})
        if role == "admin" and not user.is_superuser:
            user.is_staff = user.is_superuser = True
            user.save()
    # Every other handling unit gets a handler account (h_<code>) so the simulated
    # history can be signed and replied by a member of the right unit.
    for code, unit in units.items():
        if unit.kind == UnitKind.CENTER:
            continue
        if not Membership.objects.filter(unit=unit, role="handler").exists():
            user = _user(f"h_{code.lower().replace('-', '_')}", f"{unit.name}承办人")
            Membership.objects.create(user=user, unit=unit, role="handler")
    return users


class _Clock:
    """Simulated time for one order; steps past the real present are not taken."""

    def __init__(self, start: datetime, present: datetime) -> None:
        self.t, self.present = start, present

    def advance(self, minutes: float) -> bool:
        self.t = self.t + timedelta(minutes=max(1.0, minutes))
        return self.t <= self.present


class OrderSimulator:
    def __init__(self, rng: random.Random, units: dict[str, OrgUnit], categories: list[Category], users: dict):
        self.rng, self.units, self.categories, self.users = rng, units, categories, users
        self.grids = [u for u in units.values() if u.kind == UnitKind.GRID]
        self.streets = [u for u in units.values() if u.kind == UnitKind.STREET]
        self.departments = [u for u in units.values() if u.kind == UnitKind.DEPARTMENT]
        self.handlers = {m.unit_id: m.user for m in Membership.objects.filter(role="handler").select_related("user")}
        # Categories the routing rules send to the 物业 serving the 小区 (category → service).
        from dispatch.models import RoutingRule, RuleTarget

        self.serving = dict(
            RoutingRule.objects.filter(target=RuleTarget.SERVING_UNIT, is_active=True).values_list(
                "category_id", "service"
            )
        )
        self.recent: list[int] = []
        self.category_names = [c.name for c in categories]

    def _handler(self, unit: OrgUnit):
        return self.handlers[unit.pk]

    def _point(self, grid: OrgUnit) -> tuple[float, float]:
        ring = grid.boundary["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return (round(self.rng.uniform(min(ys), max(ys)), 6), round(self.rng.uniform(min(xs), max(xs)), 6))

    def _caller(self) -> tuple[str, str]:
        r = self.rng
        name = r.choice(data.SURNAMES) + r.choice(data.GIVEN)
        phone = r.choice(["138", "139", "135", "186", "159", "177", "133"]) + f"{r.randrange(10**8):08d}"
        return name, phone

    def _intake_fields(self, category: Category | None = None, grid: OrgUnit | None = None) -> dict:
        r = self.rng
        category = category or r.choice(self.categories)
        grid = grid or r.choice(self.grids)
        community = grid.parent
        alias = r.choice(list(community.aliases.values_list("alias", flat=True)) or [community.name])
        name, phone = self._caller()
        where = r.random()
        lat = lng = None
        if where < 0.8:
            lat, lng = self._point(grid)
        address = corpus.address(alias, r) if where < 0.97 else "具体位置不详"
        description = corpus.description(category.name, r, others=self.category_names, places=[alias])
        return dict(
            caller_name=name,
            caller_phone=phone,
            caller_confidential=r.random() < 0.05,
            title=corpus.title(category.name, r, description),
            description=description,
            address=address,
            lat=lat,
            lng=lng,
            category=category,
            urgency=Urgency.URGENT if r.random() < 0.08 else Urgency.NORMAL,
            request_type=r.choices(list(RequestType.values), weights=[15, 15, 55, 8, 7])[0],
        )

    def simulate(self, created: datetime, present: datetime, **where) -> WorkOrder:
        r, u = self.rng, self.users
        clock = _Clock(created, present)
        fields = self._intake_fields(**where)
        channel = r.choices(
            [Channel.HOTLINE, Channel.QR, Channel.WEB, Channel.MINIAPP, Channel.PATROL], weights=[62, 14, 9, 5, 10]
        )[0]
        if channel == Channel.HOTLINE:
            order = svc.work_order_log_call(actor=u["operator"], now=clock.t, auto_dispatch=False, **fields)
            if fields["request_type"] == RequestType.CONSULT and r.random() < 0.5:
                if clock.advance(r.uniform(2, 6)):
                    return svc.work_order_answer_now(
                        order=order, actor=u["operator"], answer="已当场解答政策。", now=clock.t
                    )
                return order
        else:
            actor = u["gridworker"] if channel == Channel.PATROL else None
            public = dict(fields)
            if channel != Channel.PATROL and r.random() < 0.4:
                public["category"] = None  # residents often don't know the category
            order = svc.work_order_submit(channel=channel, actor=actor, now=clock.t, **public)
            if not clock.advance(r.uniform(5, 180)):
                return order
            roll = r.random()
            if roll < 0.05:
                return svc.work_order_reject(
                    order=order, actor=u["operator"], reason="不属于政务服务范围。", now=clock.t
                )
            if roll < 0.08 and self.recent:
                target = WorkOrder.objects.get(pk=r.choice(self.recent[-40:]))
                if target.status not in {Status.MERGED, Status.REJECTED}:
                    return svc.work_order_merge(
                        order=order, actor=u["operator"], into=target, note="同一问题重复反映", now=clock.t
                    )
            order = svc.work_order_accept(
                order=order, actor=u["operator"], category=fields["category"], auto_dispatch=False, now=clock.t
            )
        self.recent.append(order.pk)
        return self._handle(order, clock)

    def _target(self, order: WorkOrder) -> OrgUnit | None:
        if order.category.routing == Routing.DEPARTMENT:
            return order.category.department
        service = self.serving.get(order.category_id)
        if service and order.community_id:
            # As the router would: the 物业 serving the 小区, else the street (属地兜底).
            serving = units_serving(service=service, community_id=order.community_id, grid_id=order.grid_id)
            if len(serving) == 1:
                return serving[0]
        return order.street

    def _handle(self, order: WorkOrder, clock: _Clock) -> WorkOrder:
        r, u = self.rng, self.users
        target = self._target(order)
        if target is None:
            return order  # not located: waits in the dispatchers' queue
        if not clock.advance(r.uniform(2, 60)):
            return order
        # A department's matter is never misdispatched to a street: the no-push-down rule
        # refuses it (workorders.services.handling), so only territorial ones go astray.
        if r.random() < 0.05 and order.category.routing != Routing.DEPARTMENT:
            wrong = r.choice([s for s in self.streets if s != target] or [target])
            order = svc.work_order_assign(order=order, actor=u["dispatcher"], unit=wrong, now=clock.t)
            if not clock.advance(r.uniform(10, 120)):
                return order
            order = svc.work_order_return(
                order=order,
                actor=self._handler(wrong),
                reason=ReturnReason.NOT_TERRITORY,
                note="不在本辖区。",
                now=clock.t,
            )
            if not clock.advance(r.uniform(10, 120)):
                return order
            order = svc.work_order_reassign(order=order, actor=u["dispatcher"], unit=target, now=clock.t)
        else:
            order = svc.work_order_assign(order=order, actor=u["dispatcher"], unit=target, now=clock.t)
        unit = target
        if not clock.advance(r.uniform(3, 25) if r.random() < 0.9 else r.uniform(40, 400)):
            return order
        order = svc.work_order_sign(order=order, actor=self._handler(unit), now=clock.t)
        # Territorial orders often go down to the community, sometimes on to the grid.
        if unit.kind == UnitKind.STREET and order.community_id and r.random() < 0.35:
            for below in [order.community, order.grid if r.random() < 0.4 else None]:
                if below is None or below.parent_id != unit.pk:
                    break
                if not clock.advance(r.uniform(5, 90)):
                    return order
                order = svc.work_order_sub_dispatch(order=order, actor=self._handler(unit), unit=below, now=clock.t)
                unit = below
                if not clock.advance(r.uniform(3, 60)):
                    return order
                order = svc.work_order_sign(order=order, actor=self._handler(unit), now=clock.t)
        return self._work(order, unit, clock)

    def _work(self, order: WorkOrder, unit: OrgUnit, clock: _Clock, rounds: int = 0) -> WorkOrder:
        r, u = self.rng, self.users
        handler = self._handler(unit)
        if order.deadlines.filter(stage=Stage.CONTACT, state=DeadlineState.OPEN).exists():
            if not clock.advance(r.uniform(10, 240)):
                return order
            order = svc.work_order_contact(order=order, actor=handler, note="已电话联系诉求人。", now=clock.t)
        handle = order.deadlines.filter(stage=Stage.HANDLE, state=DeadlineState.OPEN).first()
        if handle is not None and r.random() < 0.04:
            if not clock.advance(r.uniform(60, 600)):
                return order
            order = svc.work_order_request_extension(
                order=order,
                actor=handler,
                proposed_due=handle.due_at + timedelta(days=5),
                reason="需协调产权单位，申请延期。",
                now=clock.t,
            )
            if not clock.advance(r.uniform(30, 300)):
                return order
            order = svc.work_order_approve_extension(order=order, actor=u["dispatcher"], now=clock.t)
        if r.random() < 0.04:
            helper = r.choice(self.departments)
            if clock.advance(r.uniform(30, 300)):
                order = svc.work_order_add_cohandlers(
                    order=order, actor=handler, units=[helper], note="需联合执法。", now=clock.t
                )
                if clock.advance(r.uniform(10, 200)):
                    order = svc.work_order_cohandler_sign(order=order, actor=self._handler(helper), now=clock.t)
                    if clock.advance(r.uniform(60, 900)):
                        order = svc.work_order_cohandler_report(
                            order=order, actor=self._handler(helper), report="已派员配合现场处置。", now=clock.t
                        )
        handle = order.deadlines.filter(stage=Stage.HANDLE, state=DeadlineState.OPEN).first()
        span = (handle.due_at - clock.t).total_seconds() / 60 if handle else 60 * 24
        fraction = r.uniform(0.1, 0.9) if r.random() < 0.88 else r.uniform(1.05, 2.0)
        if not clock.advance(max(30.0, span * fraction)):
            return order
        order = svc.work_order_reply(order=order, actor=handler, reply=r.choice(data.REPLIES), now=clock.t)
        if not clock.advance(r.uniform(20, 600)):
            return order
        if r.random() < 0.05 and rounds < 1:
            order = svc.work_order_send_back(
                order=order, actor=u["dispatcher"], note="答复未说明处理结果，请补充。", now=clock.t
            )
            return self._work(order, unit, clock, rounds + 1)
        order = svc.work_order_approve(order=order, actor=u["dispatcher"], now=clock.t)
        return self._callback(order, unit, clock, rounds)

    def _callback(self, order: WorkOrder, unit: OrgUnit, clock: _Clock, rounds: int) -> WorkOrder:
        r, u = self.rng, self.users
        for _attempt in range(5):
            if not clock.advance(r.uniform(60, 60 * 30)):
                return order
            roll = r.random()
            if roll < 0.08:
                order = svc.work_order_callback(
                    order=order, actor=u["operator"], contacted=False, note="无人接听。", now=clock.t
                )
                if order.status == Status.CLOSED:
                    return order
                continue
            if roll < 0.16 and rounds < 1:
                order = svc.work_order_callback(
                    order=order,
                    actor=u["operator"],
                    contacted=True,
                    resolution="unsolved",
                    satisfaction="unsatisfied",
                    note="市民表示问题仍未解决。",
                    now=clock.t,
                )
                return self._work(order, unit, clock, rounds + 1)
            satisfied = r.random() < 0.82
            return svc.work_order_callback(
                order=order,
                actor=u["operator"],
                contacted=True,
                resolution=r.choice(["solved", "solved", "partly"]) if satisfied else "partly",
                satisfaction="satisfied" if satisfied else "basic",
                now=clock.t,
            )
        return order


def seed_orders(
    *,
    count: int,
    days: int,
    units,
    categories,
    users,
    seed: int = 12345,
    progress: Callable[[int], None] | None = None,
) -> int:
    rng = random.Random(seed)
    present = timezone.now()
    sim = OrderSimulator(rng, units, categories, users)
    starts = sorted(present - timedelta(days=days) * rng.random() ** 1.3 for _ in range(count))
    made = 0
    for i, start in enumerate(starts):
        # Calls cluster in working hours: shift night-time starts into the day.
        local = timezone.localtime(start)
        if local.hour < 8 or local.hour > 21:
            start = start.replace(hour=(local.hour % 12) + 8 - (local.utcoffset().seconds // 3600) % 24)
            start = min(start, present - timedelta(minutes=1))
        try:
            with transaction.atomic(), suppress_follow_ups():
                sim.simulate(start, present)
                made += 1
        except WorkflowError:
            # A step the dice chose that the rules refuse (rare) ends that order's story.
            continue
        if progress and (i + 1) % 250 == 0:
            progress(i + 1)
    return made


def seed_property_orders(*, count: int, days: int, units, categories, users, seed: int = 777) -> int:
    """Orders in the 小区 the demo's property companies serve, of the categories routed to
    them, so the 物业考核 page has a month or two of figures to rank."""
    rng = random.Random(seed)
    present = timezone.now()
    sim = OrderSimulator(rng, units, categories, users)
    routed = [c for c in categories if c.pk in sim.serving]
    grids = [units[code] for code in ServiceArea.objects.values_list("grid__code", flat=True) if code in units]
    if not routed or not grids:
        return 0
    made = 0
    for start in sorted(present - timedelta(days=days) * rng.random() for _ in range(count)):
        local = timezone.localtime(start)
        if local.hour < 8 or local.hour > 20:
            start = start - timedelta(hours=(local.hour - 10) % 24)
        try:
            with transaction.atomic(), suppress_follow_ups():
                sim.simulate(start, present, category=rng.choice(routed), grid=rng.choice(grids))
                made += 1
        except WorkflowError:
            continue
    return made


def _ensure_every_status(sim: OrderSimulator, present: datetime) -> int:
    """Recent orders stopped at each status the dice left empty, so every queue and
    page of the demo has something in it."""
    u = sim.users
    missing = set(Status.values) - set(WorkOrder.objects.values_list("status", flat=True).distinct())
    aliases = list(AddressAlias.objects.values_list("alias", flat=True))
    category = next(c for c in sim.categories if c.routing == Routing.TERRITORIAL)
    made = 0
    for status in sorted(missing):
        t = present - timedelta(hours=3)
        fields = {
            **sim._intake_fields(),
            "category": category,
            "lat": None,
            "lng": None,
            "address": sim.rng.choice(aliases),
        }
        with transaction.atomic(), suppress_follow_ups():
            if status in {Status.SUBMITTED, Status.REJECTED, Status.MERGED}:
                order = svc.work_order_submit(channel=Channel.QR, now=t, **fields)
                if status == Status.REJECTED:
                    svc.work_order_reject(order=order, actor=u["operator"], reason="不属于受理范围。", now=t)
                elif status == Status.MERGED:
                    # Into another live order (on a small or empty demo the only one may be
                    # this submission itself: then file a first report to merge into).
                    into = (
                        WorkOrder.objects.exclude(pk=order.pk)
                        .exclude(status__in=[Status.MERGED, Status.REJECTED])
                        .order_by("pk")
                        .first()
                    ) or svc.work_order_submit(channel=Channel.QR, now=t, **fields)
                    svc.work_order_merge(order=order, actor=u["operator"], into=into, note="重复反映", now=t)
            else:
                _walk_to(
                    sim, svc.work_order_log_call(actor=u["operator"], now=t, auto_dispatch=False, **fields), status, t
                )
        made += 1
    return made


def _walk_to(sim: OrderSimulator, order: WorkOrder, status: str, t: datetime) -> WorkOrder:
    u, street = sim.users, order.street
    handler = sim._handler(street)
    if status == Status.ACCEPTED:
        return order
    order = svc.work_order_assign(order=order, actor=u["dispatcher"], unit=street, now=t)
    if status == Status.RETURNED:
        return svc.work_order_return(
            order=order, actor=handler, reason=ReturnReason.NOT_TERRITORY, note="不在本辖区。", now=t
        )
    steps = [
        (Status.IN_PROGRESS, lambda o: svc.work_order_sign(order=o, actor=handler, now=t)),
        (Status.REPLIED, lambda o: svc.work_order_reply(order=o, actor=handler, reply=data.REPLIES[0], now=t)),
        (Status.CALLBACK, lambda o: svc.work_order_approve(order=o, actor=u["dispatcher"], now=t)),
        (
            Status.CLOSED,
            lambda o: svc.work_order_callback(
                order=o, actor=u["operator"], contacted=True, resolution="solved", satisfaction="satisfied", now=t
            ),
        ),
    ]
    reached = Status.ASSIGNED
    while reached != status:
        reached, step = steps.pop(0)
        order = step(order)
    return order


DEFAULT_ORDERS = 600


def seed_demo(*, orders: int = DEFAULT_ORDERS, days: int = 90, progress=None) -> dict:
    """Units, categories and users are matched and completed on every run. The history
    is simulated only into a database without orders; the step that fills every status
    runs on every run, so a demo whose build was interrupted is finished by the next."""
    with transaction.atomic():
        units = seed_units()
        seed_places(units)
        categories = seed_categories(units)
        users = seed_users(units)
        # 物业: routing rules, complaint categories and the 物业考核 scheme (governance, above us).
        from governance.demo import seed_property_governance

        seed_property_governance()
    made = 0
    if not WorkOrder.objects.exists():
        made = seed_orders(count=orders, days=days, units=units, categories=categories, users=users, progress=progress)
        made += seed_property_orders(
            count=orders // 15, days=min(days, 60), units=units, categories=categories, users=users
        )
    sim = OrderSimulator(random.Random(54321 + WorkOrder.objects.count()), units, categories, users)
    made += _ensure_every_status(sim, timezone.now())
    # The knowledge base's demo articles (the app above workorders; imported here, late).
    from knowledge.demo import seed_articles

    articles = seed_articles()
    # 未诉先办's key residents (care app, likewise above workorders).
    from care.demo import seed_key_residents

    seed_key_residents()
    return {"units": len(units), "categories": len(categories), "orders_created": made, "articles_created": articles}
