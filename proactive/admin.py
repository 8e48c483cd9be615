from django.contrib import admin

from proactive.models import SeasonalPlan


@admin.register(SeasonalPlan)
class SeasonalPlanAdmin(admin.ModelAdmin):
    list_display = ("name", "category", "start_month", "start_day", "end_month", "end_day", "threshold")
