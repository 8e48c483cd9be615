from django.urls import path

from governance import views

app_name = "governance"

urlpatterns = [
    path("", views.index, name="index"),
    path("orders/", views.score_orders, name="orders"),
    path("property/", views.property_ranking, name="property"),
    path("what-if/", views.whatif, name="whatif"),
    path("exclusions/", views.exclusions, name="exclusions"),
    path("exclusions/<int:pk>/decide/", views.exclusion_decide, name="exclusion_decide"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/new/", views.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/sign/", views.report_sign, name="report_sign"),
    path("reports/<int:pk>.<str:fmt>", views.report_file, name="report_file"),
    path("returns/", views.returns, name="returns"),
    path("returns/<str:number>/review/", views.return_decide, name="return_decide"),
    path("returns/<str:number>/redispatch/", views.redispatch, name="redispatch"),
]
