from django.urls import path

from community import endpoints as api

app_name = "community"

urlpatterns = [
    path("api/monitor/events/", api.MonitorEventView.as_view(), name="monitor-events"),
    path("upstream/webhook", api.UpstreamWebhookView.as_view(), name="upstream-webhook"),
    path("api/orders/<str:number>/transfer-emergency", api.EmergencyTransferView.as_view(), name="transfer-emergency"),
]
