from django.urls import path

from screens import views

app_name = "screens"

urlpatterns = [
    path("", views.center, name="center"),
    path("notices/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("k/<str:token>/", views.kiosk, name="kiosk"),
    path("k/<str:token>/feed.json", views.feed, name="feed"),
    path("k/<str:token>/image/<int:pk>/", views.image, name="image"),
]
