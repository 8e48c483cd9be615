from django.urls import path

from knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_edit, name="new"),
    path("<int:pk>/", views.article_detail, name="detail"),
    path("<int:pk>/edit/", views.article_edit, name="edit"),
    path("suggest/", views.console_suggest, name="suggest"),
    path("from-order/<str:number>/", views.suggest_from_order, name="from_order"),
]
