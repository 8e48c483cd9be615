"""The 一号一码 poster's QR code, read back by a real decoder (zxing-cpp, a pip wheel),
points at the community's own public form: a poster that scans to the wrong place sends
residents' reports to the wrong community, and nothing else would notice."""

import io

import pytest
import zxingcpp  # requirements-dev.txt: a self-contained wheel, no system zbar needed
from django.urls import reverse
from PIL import Image


def decoded_urls(image: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(image.convert("L")) if r.format == zxingcpp.BarcodeFormat.QRCode]


def pdf_images(data: bytes) -> list[Image.Image]:
    from pypdf import PdfReader

    (page,) = PdfReader(io.BytesIO(data)).pages
    return [img.image for img in page.images]


@pytest.mark.parametrize("community", ["community_a", "community_b"])
def test_png_poster_scans_to_its_communitys_public_form(login, district, community):
    unit = getattr(district, community)
    response = login("supervisor").get(reverse("web:poster", args=[unit.code, "png"]))
    assert response.status_code == 200
    urls = decoded_urls(Image.open(io.BytesIO(response.content)))
    assert urls == [f"http://testserver/p/{unit.code}/"]


@pytest.mark.parametrize("community", ["community_a", "community_b"])
def test_pdf_poster_scans_to_its_communitys_public_form(login, district, community):
    unit = getattr(district, community)
    response = login("grid_worker_a").get(reverse("web:poster", args=[unit.code, "pdf"]))
    assert response.status_code == 200
    urls = [url for img in pdf_images(response.content) for url in decoded_urls(img)]
    assert urls == [f"http://testserver/p/{unit.code}/"]


def test_the_scanned_url_opens_that_communitys_form(login, district, client):
    response = login("supervisor").get(reverse("web:poster", args=[district.community_b.code, "png"]))
    (url,) = decoded_urls(Image.open(io.BytesIO(response.content)))
    client.logout()
    page = client.get(url.removeprefix("http://testserver"))
    assert page.status_code == 200 and "乙一社区" in page.content.decode()


def test_the_decoder_tells_a_wrong_poster_apart():
    # Guards the guard: the decoder really reads the code rather than passing anything.
    from web.poster import qr_image

    assert decoded_urls(qr_image("http://testserver/p/S-B-1/")) == ["http://testserver/p/S-B-1/"]
    assert decoded_urls(Image.new("RGB", (200, 200), "white")) == []
