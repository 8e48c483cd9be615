import sys

from hotline.tests.test_settings_errors import _one_line_naming, _run


def test_an_upstream_url_without_a_secret_stops_start_up_with_one_line():
    result = _run([sys.executable, "manage.py", "check"], HOTLINE_UPSTREAM_URL="https://12345.example.gov.cn/report")
    _one_line_naming(result, "HOTLINE_UPSTREAM_SECRET")
