from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    class AuthenticatedHttpRequest(HttpRequest):
        user: User  # login_required: never AnonymousUser here


@login_required
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Each role starts on its own page (operator console, desk, workbench, dashboard)."""
    from community.captains import captain_posts
    from grids.selectors import roles_of
    from web.helpers import home_url_name

    # A 楼长's light account holds no role: his one page is his buildings' report form.
    if not roles_of(request.user) and not request.user.is_superuser and captain_posts(request.user).exists():
        return redirect("community:captain_home")
    return redirect(home_url_name(request.user))
