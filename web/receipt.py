"""The resident's receipt in forms they can keep: an SVG QR code of the tracking link for
the page (drawn on the server: no script, no CDN) and a PNG of number, code and QR to
save to the phone's album."""

from __future__ import annotations

import io
import re

from django.utils.translation import gettext as _

from web.poster import cjk_font_path, qr_image


def receipt_qr_svg(link: str) -> str:
    """An inline <svg> of ``link``'s QR code, sized by CSS (no width/height in mm)."""
    # qrcode and Pillow load in the process that draws a receipt, when it does (issue 14).
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        link,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        border=2,
    )
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    svg = svg[svg.index("<svg") :]  # no XML declaration inside HTML
    svg = re.sub(r' (width|height)="[^"]*mm"', "", svg, count=2)
    label = _("查询进度二维码")
    return svg.replace("<svg ", f'<svg class="qr" role="img" aria-label="{label}" ', 1)


def receipt_png(*, number: str, code: str, link: str) -> bytes:
    from PIL import Image, ImageDraw, ImageFont

    width, height = 720, 1080
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    font_path = cjk_font_path()

    def font(size: int):
        return ImageFont.truetype(str(font_path), size) if font_path else ImageFont.load_default()

    draw.rectangle([0, 0, width, 120], fill=(31, 95, 191))
    draw.text((width // 2, 60), _("12345 诉求回执"), font=font(44), fill="white", anchor="mm")
    draw.text((width // 2, 180), _("工单号"), font=font(30), fill=(82, 96, 109), anchor="mm")
    draw.text((width // 2, 235), number, font=font(52), fill=(31, 41, 51), anchor="mm")
    draw.text((width // 2, 320), _("查询码"), font=font(30), fill=(82, 96, 109), anchor="mm")
    draw.text((width // 2, 375), code, font=font(52), fill=(31, 41, 51), anchor="mm")
    qr = qr_image(link).resize((480, 480), Image.NEAREST)
    img.paste(qr, ((width - 480) // 2, 440))
    draw.text((width // 2, 960), _("扫码查询办理进度"), font=font(32), fill=(31, 41, 51), anchor="mm")
    draw.text((width // 2, 1020), _("或拨打 12345"), font=font(26), fill=(82, 96, 109), anchor="mm")
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
