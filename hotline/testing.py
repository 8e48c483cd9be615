"""Builders for tests: a small district with one user per role.

Kept in the package (not only in conftest) so benchmarks and other apps' tests can
build the same district.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from grids.models import AddressAlias, Membership, OrgUnit, Role, StaffPhone, UnitKind
from workorders.models import Category


def square(lng: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size], [lng, lat + size], [lng, lat]]],
    }


# The district's people: (username, the District unit they belong to, role). Tests that
# walk every kind of user parametrize over the usernames.
DISTRICT_USERS = (
    ("operator", "center", Role.OPERATOR),
    ("dispatcher", "center", Role.DISPATCHER),
    ("supervisor", "center", Role.SUPERVISOR),
    ("admin", "center", Role.ADMIN),
    ("handler_a", "street_a", Role.HANDLER),
    ("handler_community_a", "community_a", Role.HANDLER),
    ("handler_grid_a", "grid_a", Role.HANDLER),
    ("handler_b", "street_b", Role.HANDLER),
    ("handler_dept", "dept", Role.HANDLER),
    ("supervisor_a", "street_a", Role.SUPERVISOR),
    ("grid_worker_a", "grid_a", Role.GRID_WORKER),
)
USERNAMES = [key for key, _unit, _role in DISTRICT_USERS]


@dataclass
class District:
    center: OrgUnit
    dept: OrgUnit
    street_a: OrgUnit
    street_b: OrgUnit
    community_a: OrgUnit
    community_b: OrgUnit
    grid_a: OrgUnit
    grid_a2: OrgUnit
    grid_b: OrgUnit
    cat_territorial: Category
    cat_department: Category
    users: dict = field(default_factory=dict)

    def user(self, key: str):
        return self.users[key]


def make_user(username: str, unit: OrgUnit, role: str):
    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    Membership.objects.create(user=user, unit=unit, role=role)
    StaffPhone.objects.create(user=user, mobile=f"1390000{user.pk % 10000:04d}")  # their own SMS number
    return user


def build_district() -> District:
    """Center; a department; street A (community A: grids A1, A2) and street B
    (community B: grid B1); grids are 0.01° squares side by side from (116.30, 39.90)."""
    center = OrgUnit.objects.create(code="C", name="区12345中心", kind=UnitKind.CENTER)
    dept = OrgUnit.objects.create(code="D-CG", name="城管局", kind=UnitKind.DEPARTMENT, parent=center)
    street_a = OrgUnit.objects.create(
        code="S-A", name="甲街道", kind=UnitKind.STREET, parent=center, boundary=square(116.30, 39.90, 0.02)
    )
    street_b = OrgUnit.objects.create(
        code="S-B", name="乙街道", kind=UnitKind.STREET, parent=center, boundary=square(116.32, 39.90, 0.02)
    )
    community_a = OrgUnit.objects.create(
        code="S-A-1", name="甲一社区", kind=UnitKind.COMMUNITY, parent=street_a, boundary=square(116.30, 39.90, 0.02)
    )
    community_b = OrgUnit.objects.create(
        code="S-B-1", name="乙一社区", kind=UnitKind.COMMUNITY, parent=street_b, boundary=square(116.32, 39.90, 0.02)
    )
    grid_a = OrgUnit.objects.create(
        code="S-A-1-01", name="甲一1号网格", kind=UnitKind.GRID, parent=community_a, boundary=square(116.30, 39.90)
    )
    grid_a2 = OrgUnit.objects.create(
        code="S-A-1-02", name="甲一2号网格", kind=UnitKind.GRID, parent=community_a, boundary=square(116.31, 39.90)
    )
    grid_b = OrgUnit.objects.create(
        code="S-B-1-01", name="乙一1号网格", kind=UnitKind.GRID, parent=community_b, boundary=square(116.32, 39.90)
    )
    AddressAlias.objects.create(community=community_a, grid=grid_a, alias="幸福里小区")
    AddressAlias.objects.create(community=community_b, alias="和平路88号")
    major = Category.objects.create(code="01", name="市容环境")
    cat_territorial = Category.objects.create(
        code="0101",
        name="占道经营",
        parent=major,
        routing="territorial",
        sign_limit="30m",
        contact_limit="2h",
        handle_limit="7d",
        callback_limit="2d",
        urgent_sign_limit="15m",
        urgent_handle_limit="24h",
        closure_standard="现场清理完毕并拍照。",
        keywords="摆摊 占道 小贩",
    )
    cat_department = Category.objects.create(
        code="0102",
        name="违章建筑",
        parent=major,
        routing="department",
        department=dept,
        sign_limit="1wd",
        contact_limit="1wd",
        handle_limit="15d",
        callback_limit="3d",
    )
    district = District(
        center,
        dept,
        street_a,
        street_b,
        community_a,
        community_b,
        grid_a,
        grid_a2,
        grid_b,
        cat_territorial,
        cat_department,
    )
    for key, unit, role in DISTRICT_USERS:
        district.users[key] = make_user(key, getattr(district, unit), role)
    return district


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (4, 4), color: str = "red", exif=None) -> bytes:
    """A small real image (uploads are decoded and re-encoded, so magic bytes alone
    are not enough); ``exif`` is a PIL Image.Exif to embed (JPEG/WebP/PNG)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    image = Image.new("RGB", size, color)
    if exif is not None:
        image.save(buffer, fmt, exif=exif)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def photos_process() -> dict:
    """Do the photo worker's job in this process: drain the ``attachments.process``
    outbox rows (attachments/tasks.py), as a Celery worker would after commit."""
    from attachments.tasks import process

    # Not inside a task (nothing here would block on another's result); says so, since
    # threads of the calling test that applied tasks eagerly may have left Celery's
    # process-wide "inside a task" flag set (conftest.py).
    return process.apply().get(disable_sync_subtasks=False)


def copy_order_rows(order_id: int, count: int, prefix: str, *, status: str | None = None) -> None:
    """``count`` copies of one order's row written by PostgreSQL itself (numbers
    ``prefix`` + ten digits; ``status`` overrides the copied one): a large table behind a
    few real orders, for tests of which rows a query reads. ANALYZEs the table after."""
    from django.db import connection

    from workorders.models import WorkOrder

    skip = {"id", "number"} | ({"status"} if status is not None else set())
    columns = ", ".join(f'"{f.column}"' for f in WorkOrder._meta.concrete_fields if f.column not in skip)
    extra_column, extra_value = (", status", ", %s") if status is not None else ("", "")
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO workorders_workorder (number{extra_column}, {columns}) "  # noqa: S608 - column names only
            f"SELECT %s || lpad(g::text, 10, '0'){extra_value}, {columns} "
            "FROM workorders_workorder o, generate_series(1, %s) g WHERE o.id = %s",
            [prefix, *([status] if status is not None else []), count, order_id],
        )
        cur.execute("ANALYZE workorders_workorder")
