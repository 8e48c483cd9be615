from django.urls import path, re_path

from open311 import opendata_views

app_name = "opendata"
urlpatterns = [
    path("", opendata_views.open_data_page, name="page"),
    re_path(r"^requests-(?P<day>\d{4}-\d{2}-\d{2})\.(?P<fmt>csv|json)$", opendata_views.open_data_file, name="file"),
]
