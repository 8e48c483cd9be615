from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from rest_framework.routers import SimpleRouter

from api import attachments, locate, suggest, views
from api.permissions import IsMember
from care import endpoints as care_endpoints

router = SimpleRouter(trailing_slash=False)
router.register("orders", views.WorkOrderViewSet, basename="order")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("units", views.OrgUnitViewSet, basename="unit")


def _schema_view(name: str, **initkwargs):
    """drf-spectacular's view, imported on its first request: its schema generator
    imports rest_framework.test and with it django.test, unittest and the test client
    (~4 MB in every web worker) for two staff pages that few ever open."""
    view = None

    @csrf_exempt  # as DRF's as_view() marks its views
    def schema(request, *args, **kwargs):
        nonlocal view
        if view is None:
            from drf_spectacular import views as spectacular

            view = getattr(spectacular, name).as_view(**initkwargs)
        return view(request, *args, **kwargs)

    return schema


app_name = "api"
urlpatterns = [
    path("public/requests", views.PublicSubmitView.as_view(), name="public-submit"),
    path("public/track", views.PublicTrackView.as_view(), name="public-track"),
    path("public/rate", views.PublicRateView.as_view(), name="public-rate"),
    path("orders/<str:number>/attachments", attachments.AttachmentListView.as_view(), name="order-attachments"),
    path(
        "orders/<str:number>/attachments/<int:attachment_id>",
        attachments.AttachmentFileView.as_view(),
        name="order-attachment",
    ),
    path("locate", locate.LocateView.as_view(), name="locate"),
    path("duplicates", locate.DuplicatesView.as_view(), name="duplicates"),
    path("suggestions", suggest.SuggestionsView.as_view(), name="suggestions"),
    path("care/visits/due", care_endpoints.DueVisitsView.as_view(), name="care-visits-due"),
    # The schema maps every endpoint and field of the staff API: staff only (a token or
    # a page session of a unit member), like the API itself.
    path(
        "schema/",
        _schema_view(
            "SpectacularAPIView",
            api_version="v1",
            authentication_classes=views.AUTHENTICATION,
            permission_classes=[IsMember],
        ),
        name="schema",
    ),
    # The split view serves its start-up script as a file: the CSP forbids inline script.
    path(
        "docs/",
        _schema_view(
            "SpectacularSwaggerSplitView",
            url_name="api:schema",
            authentication_classes=views.AUTHENTICATION,
            permission_classes=[IsMember],
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
