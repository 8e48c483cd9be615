"""一号一码 posters: a QR code per community pointing at its public form, as PNG and PDF.

The CJK font comes from Debian's fonts-noto-cjk; without it the poster still prints,
with the QR code and the Latin text (the Chinese lines would be boxes, so they are left
out rather than printed as tofu)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from grids.models import OrgUnit

FONT_PATHS = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
]


if TYPE_CHECKING:
    from PIL import Image

# qrcode and Pillow are imported by the functions that draw: a web process that never
# serves a poster never loads them (issue 14).


def cjk_font_path() -> Path | None:
    return next((p for p in FONT_PATHS if p.exists()), None)


def qr_image(url: str) -> Image.Image:
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.make_image(fill_color="black", back_color="white").convert("RGB")


def poster_lines(community: OrgUnit) -> list[str]:
    street = community.parent.name if community.parent_id else ""
    return [
        _("12345 接诉即办 · 一号一码"),
        f"{street} {community.name}",
        _("扫码反映问题，无需注册"),
        _("拨打 12345 也可反映"),
    ]


def poster_png(community: OrgUnit, url: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = 1240, 1754  # A4 at 150 dpi
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font_path = cjk_font_path()
    code = qr_image(url).resize((820, 820), Image.NEAREST)
    img.paste(code, ((width - 820) // 2, 470))
    draw.rectangle([0, 0, width, 300], fill=(180, 35, 24))
    if font_path:
        title = ImageFont.truetype(str(font_path), 72)
        sub = ImageFont.truetype(str(font_path), 54)
        small = ImageFont.truetype(str(font_path), 40)
        lines = poster_lines(community)
        draw.text((width // 2, 150), lines[0], font=title, fill="white", anchor="mm")
        draw.text((width // 2, 390), lines[1], font=sub, fill="black", anchor="mm")
        draw.text((width // 2, 1370), lines[2], font=sub, fill="black", anchor="mm")
        draw.text((width // 2, 1460), lines[3], font=small, fill=(82, 96, 109), anchor="mm")
    else:
        default = ImageFont.load_default()
        draw.text((width // 2, 150), "12345", font=default, fill="white", anchor="mm")
    small_latin = ImageFont.truetype(str(font_path), 28) if font_path else ImageFont.load_default()
    draw.text((width // 2, 1600), url, font=small_latin, fill=(82, 96, 109), anchor="mm")
    draw.text((width // 2, 1650), community.code, font=small_latin, fill=(82, 96, 109), anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()


def poster_pdf(community: OrgUnit, url: str) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(_("%(c)s 一号一码") % {"c": community.name})
    width, height = A4
    font = "Helvetica"
    font_path = cjk_font_path()
    if font_path:
        try:
            pdfmetrics.registerFont(TTFont("NotoSansCJK", str(font_path), subfontIndex=2))  # SC face
            font = "NotoSansCJK"
        except Exception:  # noqa: BLE001 - a broken font file must not break the poster
            font = "Helvetica"
    pdf.setFillColorRGB(180 / 255, 35 / 255, 24 / 255)
    pdf.rect(0, height - 120, width, 120, stroke=0, fill=1)
    lines = poster_lines(community)
    if font != "Helvetica":
        pdf.setFillColorRGB(1, 1, 1)
        pdf.setFont(font, 30)
        pdf.drawCentredString(width / 2, height - 72, lines[0])
        pdf.setFillColorRGB(0, 0, 0)
        pdf.setFont(font, 22)
        pdf.drawCentredString(width / 2, height - 170, lines[1])
        pdf.drawCentredString(width / 2, 190, lines[2])
        pdf.setFont(font, 16)
        pdf.drawCentredString(width / 2, 160, lines[3])
    size = 360
    pdf.drawImage(ImageReader(qr_image(url)), (width - size) / 2, 220, size, size)
    pdf.setFont("Helvetica", 10)
    pdf.setFillColorRGB(0.3, 0.35, 0.4)
    pdf.drawCentredString(width / 2, 110, url)
    pdf.drawCentredString(width / 2, 95, community.code)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
