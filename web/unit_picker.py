"""The desk's unit picker: every unit an order can be dispatched to, grouped the way
dispatchers think (suggested first, with the reason; then each street with its
communities; then the departments; then the center), with a search box that filters
as one types (static/web/queue.js). The unit that just returned the order is left out;
sending it back there is a separate, explicit "overrule the return" form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from grids.models import OrgUnit, UnitKind
from web.forms import VersionedForm
from web.widgets import FastSelect
from workorders.text_limits import NOTE_MAX

DISPATCHABLE = (UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.PROPERTY, UnitKind.DEPARTMENT, UnitKind.CENTER)


def dispatchable_units() -> list[OrgUnit]:
    # Names and the tree only: each unit's boundary polygon is the bulk of its row.
    return list(OrgUnit.objects.filter(kind__in=DISPATCHABLE, is_active=True).defer("boundary").order_by("path"))


def grouped_choices(units: list[OrgUnit], *, suggestions: list[dict], exclude: set[int]) -> list:
    """Choices for a <select> with <optgroup>s; ``suggestions`` are the router's
    [{"unit", "name", "why", "score"}] and come first with their reasons."""
    by_id = {u.pk: u for u in units}
    groups: list = [("", "—")]
    suggested = []
    for s in suggestions:
        uid = s.get("unit")
        if uid in by_id and uid not in exclude and uid not in [c[0] for c in suggested]:
            why = s.get("why") or ""
            score = f" {round(s['score'] * 100)}%" if s.get("score") else ""
            suggested.append((uid, f"★ {by_id[uid].name}（{why}{score}）" if why or score else f"★ {by_id[uid].name}"))
    if suggested:
        groups.append((str(_("建议单位")), suggested))
    streets = [u for u in units if u.kind == UnitKind.STREET]
    for street in streets:
        members = [(street, street.name)]
        for c in (u for u in units if u.kind == UnitKind.COMMUNITY and u.parent_id == street.pk):
            # A community's property companies / utilities (物业) under it.
            members.append((c, f"　{c.name}"))
            members += [(p, f"　　{p.name}") for p in units if p.kind == UnitKind.PROPERTY and p.parent_id == c.pk]
        choices = [(u.pk, label) for u, label in members if u.pk not in exclude]
        if choices:
            groups.append((street.name, choices))
    for kind, title in ((UnitKind.DEPARTMENT, _("区直部门")), (UnitKind.CENTER, _("中心兜底"))):
        choices = [(u.pk, u.name) for u in units if u.kind == kind and u.pk not in exclude]
        if choices:
            groups.append((str(title), choices))
    return groups


class DeskUnitForm(VersionedForm):
    """派单 / 重新派单 from the desk. ``overrule_return`` is only ever set by the explicit
    overrule form; the service refuses the returning unit without it."""

    unit = forms.ModelChoiceField(label=_("派往单位"), queryset=OrgUnit.objects.none(), widget=FastSelect)
    note = forms.CharField(label=_("派单说明（可选，随短信发给承办单位）"), max_length=NOTE_MAX, required=False)
    overrule_return = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, units: list[OrgUnit] | None = None, suggestions=(), exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        units = dispatchable_units() if units is None else units
        self.fields["unit"].queryset = OrgUnit.objects.filter(kind__in=DISPATCHABLE, is_active=True)
        self.fields["unit"].widget.choices = grouped_choices(units, suggestions=list(suggestions), exclude=set(exclude))
        if suggestions and not self.is_bound:
            first = next((s["unit"] for s in suggestions if s.get("unit") not in set(exclude)), None)
            self.fields["unit"].initial = first


class OverruleForm(VersionedForm):
    """驳回退单，仍派原单位: the dispatcher says why the return does not stand."""

    note = forms.CharField(
        label=_("驳回退单的理由（必填，随短信发给原单位）"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
