from django.urls import path

from community import api

app_name = "community"

urlpatterns = [
    path("api/monitor/events/", api.MonitorEventView.as_view(), name="monitor-events"),
]
