"""The per-process category cache used by intake: no query per order, never wrong for
longer than its staleness window, and never wrong at all in the process that edits."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workorders import selectors
from workorders.models import Category
from workorders.selectors import category_by_code


@pytest.fixture(autouse=True)
def _fresh():
    selectors._categories.forget()


def test_a_known_code_costs_no_query_after_the_first(district):
    code = district.cat_territorial.code
    assert category_by_code(code).pk == district.cat_territorial.pk
    with CaptureQueriesContext(connection) as run:
        assert category_by_code(code).pk == district.cat_territorial.pk
    assert len(run.captured_queries) == 0


def test_a_new_category_is_found_at_once(district):
    category_by_code(district.cat_territorial.code)  # loaded before the new one exists
    new = Category.objects.create(code="0199", name="新小类", parent=district.cat_territorial.parent)
    assert category_by_code("0199").pk == new.pk
    assert category_by_code("9999") is None


def test_an_edit_in_this_process_is_seen_at_once(district):
    category = district.cat_territorial
    assert category_by_code(category.code).is_active
    category.is_active = False
    category.save()
    assert not category_by_code(category.code).is_active


def test_an_edit_by_another_process_is_seen_after_the_staleness_window(district, monkeypatch):
    code = district.cat_territorial.code
    assert category_by_code(code).is_active
    Category.objects.filter(code=code).update(is_active=False)  # no signal, as from elsewhere
    assert category_by_code(code).is_active
    from hotline import process_cache

    now = process_cache.time.monotonic()
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: now + selectors._categories.stale_after + 1)
    assert not category_by_code(code).is_active
