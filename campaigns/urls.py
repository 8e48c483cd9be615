from django.urls import path

from campaigns import endpoints, views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("<int:pk>/", views.campaign_board, name="board"),
    path("<int:pk>/orders/", views.campaign_orders, name="orders"),
    path("filters/", views.filters_page, name="filters"),
    path("api/filters", endpoints.SavedFilterListView.as_view(), name="api-filters"),
    path("filters/save/", views.filter_save, name="filter_save"),
    path("filters/<int:pk>/delete/", views.filter_delete, name="filter_delete"),
]
