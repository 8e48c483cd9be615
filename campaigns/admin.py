"""Admin for campaigns: the center's admins set them up here; the board is /campaigns/."""

from django.contrib import admin

from campaigns.models import Campaign, SavedFilter
from campaigns.services import campaign_validate


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "target", "target_count", "owner"]
    filter_horizontal = ["units", "categories"]
    raw_id_fields = ["owner"]
    list_select_related = ["owner"]
    autocomplete_fields = ["saved_filter"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        base_clean = form.clean

        def clean(self):
            data = base_clean(self)
            if all(data.get(k) is not None for k in ("starts_on", "ends_on", "target")):
                campaign_validate(
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    target=data["target"],
                    target_count=data.get("target_count"),
                )
            return data

        form.clean = clean
        return form


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    """Filters people saved on the order list; a campaign may take one as its scope."""

    list_display = ["name", "owner", "query", "created_at"]
    search_fields = ["name", "owner__username", "query"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
