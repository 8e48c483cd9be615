"""Orders with personal data planted in every free-text field, in every place of the
test district, for the privacy crawl and the scope tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_log_call,
    work_order_reassign,
    work_order_reply,
    work_order_return,
    work_order_sign,
    work_order_sub_dispatch,
    work_order_submit,
)


@dataclass
class Person:
    name: str
    phone: str
    id_number: str
    plate: str
    room: str = "3号楼2单元501"

    @property
    def secrets(self) -> list[str]:
        # The room as its household part ("2单元501"): "3号楼" alone locates a problem.
        return [self.name, self.phone, self.id_number, self.plate, "2单元501"]

    def text(self) -> str:
        return f"我是{self.name}，电话{self.phone}，身份证{self.id_number}，车牌{self.plate}，住{self.room}。"


SECRET_A = Person("欧阳明", "13812345678", "110101199003071234", "京A12345")
PLAIN_A = Person("李四海", "13987654321", "110101198512120017", "京B54321", "5号楼1单元302")
DEPT_A = Person("王五福", "13711112222", "11010119700101001X", "京C11111", "7号楼3单元1202")
SECRET_B = Person("赵六顺", "13622223333", "110101199912319996", "京D22222", "9号楼4单元601")
MOVED = Person("钱七宝", "13533334444", "110101200001010018", "京E33333", "2号楼2单元202")
GRID = Person("周九州", "13844445555", "110101198001010013", "京G55555", "4号楼2单元402")
PATROL = Person("孙八方", "13655556666", "110101196501010011", "京F44444", "1号楼1单元101")


@dataclass
class Planted:
    orders: dict = field(default_factory=dict)  # key → WorkOrder
    people: dict = field(default_factory=dict)  # key → Person


def _call(district, person: Person, *, confidential: bool, at, **kw):
    fields = dict(
        actor=district.user("operator"),
        caller_name=person.name,
        caller_phone=person.phone,
        caller_confidential=confidential,
        title=f"{person.name}反映{person.plate}占道，回电{person.phone}",
        description=person.text(),
        address=f"幸福里小区{person.room}",
        lat=39.905,
        lng=116.305,
        category=district.cat_territorial,
        auto_dispatch=False,
        now=at,
    )
    fields.update(kw)
    return work_order_log_call(**fields)


def plant(district) -> Planted:
    """secret_a: confidential, street A, replied (reply names the caller) and approved;
    plain_a: not confidential, street A, sub-dispatched to community A; dept_a: led by
    the department, located in street A; secret_b: confidential, street B; moved:
    returned by street A and reassigned to street B; grid: sub-dispatched down to grid
    A1, where it sits; patrol: a grid worker's report.
    Created three hours ago, so their first deadlines are overdue."""
    at = timezone.now() - timedelta(hours=3)
    disp, h_a = district.user("dispatcher"), district.user("handler_a")
    out = Planted()

    o = _call(district, SECRET_A, confidential=True, at=at)
    work_order_assign(order=o, actor=disp, unit=district.street_a, now=at)
    work_order_sign(order=o, actor=h_a, now=at + timedelta(minutes=5))
    work_order_reply(
        order=o, actor=h_a, reply=f"已联系{SECRET_A.name}（{SECRET_A.phone}），{SECRET_A.plate}车主已挪车。"
    )
    out.orders["secret_a"] = work_order_approve(order=o, actor=disp)

    o = _call(district, PLAIN_A, confidential=False, at=at)
    work_order_assign(order=o, actor=disp, unit=district.street_a, now=at)
    work_order_sign(order=o, actor=h_a, now=at + timedelta(minutes=5))
    # At planted times, not the clock's: sub-dispatched at 23:40 the community's sign
    # deadline would fall tomorrow, outside the figures' period (a test that failed
    # between 23:30 and midnight).
    o = work_order_sub_dispatch(
        order=o, actor=h_a, unit=district.community_a, note=f"请联系{PLAIN_A.phone}", now=at + timedelta(minutes=10)
    )
    out.orders["plain_a"] = work_order_sign(
        order=o, actor=district.user("handler_community_a"), now=at + timedelta(minutes=15)
    )

    o = _call(district, DEPT_A, confidential=False, at=at, category=district.cat_department)
    out.orders["dept_a"] = work_order_assign(order=o, actor=disp, unit=district.dept, now=at)

    o = _call(district, SECRET_B, confidential=True, at=at, lat=39.905, lng=116.325, address="和平路88号")
    out.orders["secret_b"] = work_order_assign(order=o, actor=disp, unit=district.street_b, now=at)

    o = _call(district, MOVED, confidential=True, at=at)
    work_order_assign(order=o, actor=disp, unit=district.street_a, now=at)
    work_order_return(order=o, actor=h_a, reason="not_territory", note=f"{MOVED.name}不在本街道", now=at)
    out.orders["moved"] = work_order_reassign(order=o, actor=disp, unit=district.street_b, now=at)

    o = _call(district, GRID, confidential=False, at=at)
    work_order_assign(order=o, actor=disp, unit=district.street_a, now=at)
    work_order_sign(order=o, actor=h_a, now=at + timedelta(minutes=5))
    o = work_order_sub_dispatch(order=o, actor=h_a, unit=district.community_a)
    h_c = district.user("handler_community_a")
    work_order_sign(order=o, actor=h_c)
    o = work_order_sub_dispatch(order=o, actor=h_c, unit=district.grid_a)
    out.orders["grid"] = work_order_sign(order=o, actor=district.user("handler_grid_a"))

    out.orders["patrol"] = work_order_submit(
        channel="patrol",
        actor=district.user("grid_worker_a"),
        title=f"{PATROL.plate}长期占道",
        description=PATROL.text(),
        address=f"幸福里小区{PATROL.room}",
        lat=39.905,
        lng=116.305,
        category=district.cat_territorial,
        community=district.community_a,
    )
    out.people = {
        "secret_a": SECRET_A,
        "plain_a": PLAIN_A,
        "dept_a": DEPT_A,
        "secret_b": SECRET_B,
        "moved": MOVED,
        "grid": GRID,
        "patrol": PATROL,
    }
    return out
