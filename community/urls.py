from django.urls import path

from community import endpoints as api
from community import views

app_name = "community"

urlpatterns = [
    path("api/monitor/events/", api.MonitorEventView.as_view(), name="monitor-events"),
    path("upstream/webhook", api.UpstreamWebhookView.as_view(), name="upstream-webhook"),
    path("api/orders/<str:number>/transfer-emergency", api.EmergencyTransferView.as_view(), name="transfer-emergency"),
    path("api/orders/<str:number>/escalate", api.EscalateView.as_view(), name="escalate"),
    path("revisits/", views.revisits, name="revisits"),
    path("revisits/<int:pk>/", views.revisit_answer, name="revisit_answer"),
    path("cards/<str:code>/<str:size>.pdf", views.contact_card, name="contact_card"),
    path("b/<slug:code>/", views.building_report_page, name="building_report"),
    path("b/<slug:code>/poster.pdf", views.building_poster, name="building_poster"),
    path("captain/", views.captain_home, name="captain_home"),
    path("captain/<str:token>/", views.captain_report_page, name="captain_report"),
]
