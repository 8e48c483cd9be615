"""便民联系卡: a per-community card with the QR code of its 一号一码 form and the phone
numbers residents need (居委会, community police, property company, family doctor, legal
adviser), from the admin-kept contact list. PDF at A6 (the card) or A4 (a notice board),
drawn with reportlab like the posters (web/poster.py: same QR and CJK font)."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _

from community.models import CommunityContact
from grids.models import OrgUnit
from web.poster import cjk_font_path, qr_image

SIZES = {"a6": "A6", "a4": "A4"}


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = cjk_font_path()
    if path is None:
        return "Helvetica"
    try:
        pdfmetrics.registerFont(TTFont("NotoSansCJK", str(path), subfontIndex=2))  # SC face
        return "NotoSansCJK"
    except Exception:  # noqa: BLE001 - a broken font file must not break the card
        return "Helvetica"


def contact_card_pdf(*, community: OrgUnit, url: str, size: str) -> bytes:
    """The card as a one-page PDF; ``size`` is "a6" or "a4". Everything scales with the
    page, so the A4 print is the A6 card enlarged."""
    from reportlab.lib import pagesizes
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = getattr(pagesizes, SIZES[size])
    k = width / pagesizes.A6[0]  # 1 on the card, ~2 on A4
    font = _font()
    cjk = font != "Helvetica"
    contacts = list(CommunityContact.objects.filter(community=community))
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=(width, height))
    pdf.setTitle(_("%(c)s 便民联系卡") % {"c": community.name})
    pdf.setFillColorRGB(180 / 255, 35 / 255, 24 / 255)
    pdf.rect(0, height - 44 * k, width, 44 * k, stroke=0, fill=1)
    pdf.setFillColorRGB(1, 1, 1)
    if cjk:
        pdf.setFont(font, 15 * k)
        pdf.drawCentredString(width / 2, height - 28 * k, _("便民联系卡"))
        pdf.setFillColorRGB(0, 0, 0)
        pdf.setFont(font, 11 * k)
        street = community.parent.name if community.parent_id else ""
        pdf.drawCentredString(width / 2, height - 62 * k, f"{street} {community.name}")
    qr = 120 * k
    pdf.drawImage(ImageReader(qr_image(url)), (width - qr) / 2, height - 72 * k - qr, qr, qr)
    y = height - 84 * k - qr
    if cjk:
        pdf.setFont(font, 8.5 * k)
        pdf.setFillColorRGB(0.32, 0.38, 0.43)
        pdf.drawCentredString(width / 2, y, _("扫码反映问题，或拨打 12345"))
        y -= 18 * k
        pdf.setFillColorRGB(0, 0, 0)
        for contact in contacts:
            pdf.setFont(font, 9 * k)
            pdf.drawString(16 * k, y, f"{contact.get_role_display()}  {contact.name}")
            pdf.setFont("Helvetica-Bold", 10 * k)
            pdf.drawRightString(width - 16 * k, y, contact.phone)
            y -= 15 * k
    else:  # no CJK font: numbers still print, labels by code
        for contact in contacts:
            pdf.setFont("Helvetica", 9 * k)
            pdf.drawString(16 * k, y, contact.role)
            pdf.drawRightString(width - 16 * k, y, contact.phone)
            y -= 15 * k
    pdf.setFont("Helvetica", 6 * k)
    pdf.setFillColorRGB(0.32, 0.38, 0.43)
    pdf.drawCentredString(width / 2, 10 * k, url)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def building_poster_pdf(*, building, url: str) -> bytes:
    """一楼一码: an A4 poster for a stairwell, QR to the building's own form."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = A4
    font = _font()
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle(_("%(b)s 一楼一码") % {"b": building.name})
    pdf.setFillColorRGB(180 / 255, 35 / 255, 24 / 255)
    pdf.rect(0, height - 120, width, 120, stroke=0, fill=1)
    if font != "Helvetica":
        pdf.setFillColorRGB(1, 1, 1)
        pdf.setFont(font, 30)
        pdf.drawCentredString(width / 2, height - 72, _("12345 接诉即办 · 一楼一码"))
        pdf.setFillColorRGB(0, 0, 0)
        pdf.setFont(font, 22)
        pdf.drawCentredString(width / 2, height - 170, f"{building.community.name} {building.name}")
        pdf.drawCentredString(width / 2, 190, _("扫码反映本楼问题，无需注册"))
    size = 360
    pdf.drawImage(ImageReader(qr_image(url)), (width - size) / 2, 220, size, size)
    pdf.setFont("Helvetica", 10)
    pdf.setFillColorRGB(0.3, 0.35, 0.4)
    pdf.drawCentredString(width / 2, 110, url)
    pdf.showPage()
    pdf.save()
    return out.getvalue()
