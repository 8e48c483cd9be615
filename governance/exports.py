"""A report as Excel (openpyxl) and PDF (reportlab), from its frozen snapshot only, so a
published report reads the same however the figures move afterwards."""

from __future__ import annotations

from io import BytesIO

from django.utils.translation import gettext as _

from governance.models import Indicator, Report


def _header() -> list[str]:
    return [_("排名"), _("单位"), _("得分"), *[str(i.label) for i in Indicator]]


def _rate(parts) -> str:
    if parts is None:  # a report frozen before the indicator existed (被投诉率)
        return "—"
    num, den = parts
    return f"{num}/{den} ({num * 100 / den:.1f}%)" if den else "—"


def _title(report: Report) -> str:
    who = report.unit.name if report.unit_id else _("全区")
    return _("%(who)s %(month)s 考核报告") % {"who": who, "month": report.period_start.strftime("%Y-%m")}


def _meta(report: Report) -> list[str]:
    s = report.data["scheme"]
    signed = (
        _("签批：%(u)s %(t)s")
        % {
            "u": report.signed_by.get_full_name() or report.signed_by.username,
            "t": report.signed_at.strftime("%Y-%m-%d"),
        }
        if report.signed_at
        else _("草稿：未签批，不得发布")
    )
    return [
        _("考核方案：%(n)s（%(c)s 第 %(v)s 版）") % {"n": s["name"], "c": s["code"], "v": s["version"]},
        _("权重：%(w)s") % {"w": "、".join(f"{Indicator(k).label} {v:g}" for k, v in s["weights"].items())},
        _("剔除工单 %(e)s 件、申诉成立 %(a)s 件不计入相应指标。")
        % {"e": report.data["excluded_orders"], "a": report.data["upheld_appeals"]},
        signed,
    ]


def _rows(report: Report) -> list[list]:
    return [
        [r["rank"] or "—", r["name"], "—" if r["score"] is None else r["score"]]
        + [_rate(r["figures"].get(i.value)) for i in Indicator]
        for r in report.data["rows"]
    ]


def report_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = report.period_start.strftime("%Y-%m")
    ws.append([_title(report)])
    for line in _meta(report):
        ws.append([line])
    ws.append([])
    ws.append(_header())
    for row in _rows(report):
        # Unit names come from the org tree (admin-entered): written as text, never a formula.
        ws.append([str(v) if isinstance(v, str) else v for v in row])
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def report_pdf(report: Report) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    # A CID font every PDF reader has: Chinese without shipping a font file.
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    styles = getSampleStyleSheet()
    for name in ("Title", "Normal"):
        styles[name].fontName = "STSong-Light"
    out = BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), title=_title(report))
    table = Table([_header(), *_rows(report)], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "STSong-Light", 8),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    story = [Paragraph(_title(report), styles["Title"])]
    story += [Paragraph(line, styles["Normal"]) for line in _meta(report)]
    story += [Spacer(1, 8), table]
    doc.build(story)
    return out.getvalue()
