from django.urls import path

from proactive import views

app_name = "proactive"

urlpatterns = [
    path("", views.warnings, name="warnings"),
    path("signals/<int:pk>/promote/", views.promote, name="promote"),
    path("topics/<int:pk>/", views.topic, name="topic"),
    path("topics/<int:pk>/<str:action>/", views.topic_act, name="topic_act"),
]
