import pytest


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # photos on proactive orders


@pytest.fixture
def care(district):
    """The test district plus a grid worker of grid B and a key resident in each of
    grids A1 and B1 (registered today by the center's supervisor)."""
    from care.models import Kind
    from care.services import resident_add
    from grids.models import Role
    from hotline.testing import make_user

    district.users["grid_worker_b"] = make_user("grid_worker_b", district.grid_b, Role.GRID_WORKER)
    supervisor = district.user("supervisor")
    district.resident_a = resident_add(
        actor=supervisor,
        grid=district.grid_a,
        kind=Kind.ALONE_ELDERLY,
        name="王秀英",
        phone="13911112222",
        address="幸福里小区3号楼2单元501室",
        notes="独居，患糖尿病。",
    )
    district.resident_b = resident_add(
        actor=supervisor,
        grid=district.grid_b,
        kind=Kind.DISABLED,
        name="李建国",
        phone="13933334444",
        address="和平路88号1号楼101室",
    )
    return district
