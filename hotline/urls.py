from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from hotline import health, metrics, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("open311/v2/", include("open311.urls")),
    path("kb/", include("knowledge.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("open-data/", include("open311.opendata_urls")),
    path("governance/", include("governance.urls")),
    path("community/", include("community.urls")),
    path("proactive/", include("proactive.urls")),
    path("care/", include("care.urls")),
    path("screens/", include("screens.urls")),
    path("", include("web.urls")),
]
