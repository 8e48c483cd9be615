from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role starts on its own page (operator console, desk, workbench, dashboard)."""
    from web.helpers import home_url_name

    return redirect(home_url_name(request.user))
