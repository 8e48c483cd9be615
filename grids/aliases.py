"""Operators' corrections teach the gazetteer: a suggested alias per correction, an
admin's approval turns it into an AddressAlias (which the resolver reads within seconds)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.address_text import place_phrase
from grids.gazetteer import address_resolve, reset_gazetteer
from grids.models import AddressAlias, AliasSuggestion, OrgUnit, SuggestionState, UnitKind


def alias_suggestion_record(
    *, address: str, community: OrgUnit, grid: OrgUnit | None = None, actor: User | None = None
) -> AliasSuggestion | None:
    """Record that ``address`` belongs to ``community`` when the resolver did not say so
    (a different community, or none). None when there is nothing to learn: the resolver
    agreed, or the address has no place name left once the house part is cut off."""
    if community.kind != UnitKind.COMMUNITY:
        raise ValidationError({"community": _("位置必须是一个社区。")})
    if grid is not None and grid.parent_id != community.pk:
        grid = None
    found = address_resolve(address)
    if found.placed and found.community is not None and found.community.pk == community.pk:
        return None
    alias = place_phrase(found.normalized)
    if len(alias) < 2:
        return None
    with transaction.atomic():
        pending = (
            AliasSuggestion.objects.select_for_update()
            .filter(alias=alias, community=community, state=SuggestionState.PENDING)
            .first()
        )
        if pending is not None:
            AliasSuggestion.objects.filter(pk=pending.pk).update(times=F("times") + 1)
            pending.refresh_from_db()
            return pending
        return AliasSuggestion.objects.create(
            address=address[:255],
            alias=alias,
            community=community,
            grid=grid,
            resolved_community=found.community,
            resolved_confidence=found.confidence,
            suggested_by=actor,
        )


def alias_suggestion_approve(*, suggestion: AliasSuggestion, actor: User) -> AddressAlias:
    """Adopt the suggestion: the alias now names its community (an existing alias of the
    same text is moved there, since the reviewer has decided where it belongs)."""
    with transaction.atomic():
        s = AliasSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if s.state != SuggestionState.PENDING:
            raise ValidationError(_("该建议已审核。"))
        alias, _created = AddressAlias.objects.update_or_create(
            alias=s.alias, defaults={"community": s.community, "grid": s.grid}
        )
        s.state, s.decided_by, s.decided_at = SuggestionState.APPROVED, actor, timezone.now()
        s.save(update_fields=["state", "decided_by", "decided_at"])
        # This process at once; the others within the gazetteer's STALE_AFTER seconds.
        transaction.on_commit(reset_gazetteer)
    return alias


def alias_suggestion_reject(*, suggestion: AliasSuggestion, actor: User) -> AliasSuggestion:
    with transaction.atomic():
        s = AliasSuggestion.objects.select_for_update().get(pk=suggestion.pk)
        if s.state != SuggestionState.PENDING:
            raise ValidationError(_("该建议已审核。"))
        s.state, s.decided_by, s.decided_at = SuggestionState.REJECTED, actor, timezone.now()
        s.save(update_fields=["state", "decided_by", "decided_at"])
    return s
