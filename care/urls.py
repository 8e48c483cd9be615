from django.urls import path

from care import views

app_name = "care"

urlpatterns = [
    path("", views.residents, name="residents"),
    path("add/", views.add, name="add"),
    path("<int:pk>/", views.resident, name="resident"),
    path("<int:pk>/active/", views.resident_active, name="resident_active"),
    path("<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("visits/<int:pk>/order/", views.visit_order, name="visit_order"),
]
