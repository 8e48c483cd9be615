"""Demo key residents for the demo district: three to five per grid, registered by the
center's supervisor at different days in the past (so some visits are overdue, some
due today, some ahead), and the demo grid worker's grid visited once or twice. All
through care.services, like real work. Called by workorders.demo.seed; fictional
names and numbers only."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from care.models import DEFAULT_INTERVAL_DAYS, KeyResident, Kind, Outcome
from care.services import resident_add, visit_record
from grids.models import Membership, OrgUnit, Role, UnitKind

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["秀英", "桂兰", "玉兰", "建国", "淑珍", "志强", "凤英", "国华", "德明", "丽娟", "子涵", "浩然", "文秀", "春生"]
NOTES = {
    Kind.ALONE_ELDERLY: "子女在外地，行动不便，需定期上门看望。",
    Kind.EMPTY_NEST: "老两口同住，患高血压，冬季注意取暖安全。",
    Kind.DISABLED: "肢体二级残疾，坐轮椅，楼道无障碍设施待完善。",
    Kind.HARDSHIP: "低保户，关注就业和医疗救助申请进度。",
    Kind.SERIOUSLY_ILL: "长期透析，每周三次往返医院。",
    Kind.LEFT_BEHIND_CHILD: "父母在外务工，与祖母同住。",
    Kind.ENTITLED: "退役军人，优抚政策落实情况每月了解。",
    Kind.BEREAVED: "失独家庭，节假日重点关怀。",
    Kind.SPECIAL: "需社区持续关注，走访时两人同行。",
}


VISIT_NOTES = [
    "入户看望，身体状况稳定，家中水电气正常。",
    "电话问候，近期无特殊需求。",
    "协助预约社区医生上门随访。",
    "检查燃气和用电安全，提醒冬季防滑。",
    "了解低保年审材料准备情况，已告知办理时间。",
]


def seed_key_residents(*, seed: int = 2027) -> int:
    """Nothing when there are residents already (safe to run twice). Most residents were
    registered a while ago and last visited within about their interval (a fifth of them
    a little longer ago: overdue); a few were registered in the last days and not yet
    visited. Visits are made by the grid's own staff: the demo grid worker in their
    grid, each grid's handler elsewhere."""
    if KeyResident.objects.exists():
        return 0
    center = Membership.objects.filter(role=Role.SUPERVISOR, unit__kind=UnitKind.CENTER).select_related("user").first()
    if center is None:
        return 0
    staff = {}
    for m in Membership.objects.filter(role__in=[Role.GRID_WORKER, Role.HANDLER], unit__kind=UnitKind.GRID).order_by(
        "-role", "pk"
    ):
        # "handler" sorts first here, "grid_worker" last: the grid worker wins where there is one.
        staff[m.unit_id] = m.user_id
    User = get_user_model()
    r = random.Random(seed)
    now = timezone.now()
    made = 0
    kinds = list(Kind)
    for grid in OrgUnit.objects.filter(kind=UnitKind.GRID, is_active=True).order_by("path"):
        visitor = User.objects.filter(pk=staff.get(grid.pk)).first()
        for i in range(r.randint(3, 5)):
            kind = kinds[r.randrange(len(kinds))]
            recent = visitor is None or r.random() < 0.15
            resident = resident_add(
                actor=center.user,
                grid=grid,
                kind=kind,
                name=r.choice(SURNAMES) + r.choice(GIVEN),
                phone=f"1390001{r.randrange(10000):04d}",
                address=f"{grid.parent.name}{r.randint(1, 12)}号楼{r.randint(1, 4)}单元{r.randint(1, 6)}0{r.randint(1, 4)}室",  # noqa: E501
                notes=NOTES[kind],
                now=now - timedelta(days=r.randint(0, 2) if recent else 90, hours=i),
            )
            made += 1
            if recent:
                continue
            interval = DEFAULT_INTERVAL_DAYS[kind]
            visit_record(
                resident=resident,
                actor=visitor,
                outcome=Outcome.MET if r.random() < 0.8 else Outcome.PHONE,
                notes=r.choice(VISIT_NOTES),
                now=now - timedelta(days=r.randint(0, int(interval * 1.25)), hours=r.randint(1, 8)),
            )
    return made
