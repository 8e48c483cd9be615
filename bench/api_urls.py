from django.http import JsonResponse
from django.urls import path

from hotline.urls import urlpatterns as hotline_urlpatterns


def bare(request):
    """The floor: a Django view that returns JSON and touches nothing."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare", bare), *hotline_urlpatterns]
