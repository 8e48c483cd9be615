"""Admin for campaigns: the center's admins set them up here; the board is /campaigns/."""

from django.contrib import admin

from campaigns.models import Campaign
from campaigns.services import campaign_validate


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "starts_on", "ends_on", "target", "target_count", "owner"]
    filter_horizontal = ["units", "categories"]
    raw_id_fields = ["owner"]

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
