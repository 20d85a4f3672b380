"""文书 as PDF: A4, the unit's name, the title, the number, the template's sections with
their fields and fixed legal text (each with its citation), the closing, the unit and
date, and a QR code linking to the public verification page.

`render_pdf` is a pure function of what it is given (no database), so a task, a bench
and a test call it alike. A draft prints "草稿" across each page and has neither number
nor QR code: only a locked document is one the public can verify.
"""

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

from core.documents import fonts
from core.documents.templates import Field, Template, template_of
from core.settings import Settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
BLANK = "＿＿＿＿"  # an optional field left empty, inside fixed text
DIGITS = "零壹贰叁肆伍陆柒捌玖"


@dataclass(frozen=True)
class Printable:
    """What a PDF shows of a document (the model's columns and the unit's name)."""

    kind: str
    unit_name: str
    body: dict[str, Any]
    number: str | None = None  # None: a draft
    dated: datetime | None = None  # the moment it was locked (or now, for a draft)
    verify_url: str | None = None  # the QR code's link; None: no QR code (a draft)
    title: str | None = None  # the template's, unless given


def render_pdf(document: Any, *, unit_name: str | None = None, verify_url: str | None = None,
               settings: Settings | None = None) -> bytes:
    """The PDF of a document: a Printable, or a core.documents.models.Document (its unit's
    name and its verification link read through its session unless given). A locked
    document's original is the stored one (service.pdf_of): this renders it anew."""
    if not isinstance(document, Printable):
        locked = document.state != "draft"
        if unit_name is None:
            unit_name = _unit_name_of(document)
        if verify_url is None and locked:
            from core.documents.service import verify_url as link

            verify_url = link(document.verify_token, settings)
        document = Printable(kind=document.kind, unit_name=unit_name or "", body=document.body,
                             number=document.number if locked else None,
                             dated=document.locked_at, title=document.title,
                             verify_url=verify_url if locked else None)
    return _render(document, template_of(document.kind), settings)


def _unit_name_of(document: Any) -> str:
    from sqlalchemy.orm import object_session

    from core.units.models import Unit

    session = object_session(document)
    unit = session.get(Unit, document.unit_id) if session is not None else None
    return unit.name if unit is not None else ""


def _render(doc: Printable, template: Template, settings: Settings | None) -> bytes:
    pdf = _Pdf(draft=doc.number is None)
    pdf.set_margins(25, 22, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_creation_date(doc.dated or datetime.now(SHANGHAI))
    title = doc.title or template.title
    pdf.set_title(f"{title} {doc.number or '（草稿）'}")
    pdf.set_producer("gridgov")
    blocks = list(_blocks(template, doc.body))
    everything = "".join([doc.unit_name, title, doc.number or "", _date_text(doc.dated),
                          _STATIC_TEXT, *(text for _, text, _ in blocks)])
    fonts.install(pdf, everything, settings)
    pdf.add_page()
    _head(pdf, doc, title)
    for style, text, citation in blocks:
        _block(pdf, style, text, citation)
    _foot(pdf, doc)
    return bytes(pdf.output())


# Text printed whatever the document: part of what the font must have.
_STATIC_TEXT = "草稿未编号第页共扫码核验本文书真伪依据：（）年月日印章0123456789"


class _Pdf(FPDF):
    def __init__(self, *, draft: bool) -> None:
        super().__init__(format="A4", unit="mm")
        self.draft = draft

    def header(self) -> None:
        if self.draft:  # across every page, light grey, behind the text
            with self.local_context(text_color=(225, 225, 225)):
                self.set_font(fonts.FAMILY, size=60)
                with self.rotation(30, x=105, y=150):
                    self.text(55, 165, "草稿")

    def footer(self) -> None:
        self.set_y(-15)
        with self.local_context(text_color=(110, 110, 110)):
            self.set_font(fonts.FAMILY, size=9)
            self.cell(0, 6, f"第 {self.page_no()} 页 共 {{nb}} 页", align="C")


def _head(pdf: FPDF, doc: Printable, title: str) -> None:
    pdf.set_font(fonts.FAMILY, size=16)
    pdf.multi_cell(0, 9, doc.unit_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.FAMILY, size=22)
    pdf.multi_cell(0, 13, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(fonts.FAMILY, size=12)
    pdf.cell(0, 8, doc.number or "（草稿，定稿时编号）", align="R", new_x="LMARGIN",
             new_y="NEXT")
    pdf.ln(4)


def _blocks(template: Template, body: dict[str, Any]):
    """(style, text, citation) of each printed block, in order: a heading, a labelled
    field, a paragraph of fixed text; the closing last. A field that fixed text names is
    printed inside that text, not again as a row."""
    inline = _inline_keys(template)
    for section in template.sections:
        if section.heading:
            yield "heading", section.heading, None
        if section.text:
            yield "text", _fill(section.text, template, body), section.citation
        for field in section.fields:
            if field.key in inline or body.get(field.key) in (None, ""):
                continue
            if field.type == "signature":  # the image, under its label
                yield "signature", f"{field.label}：", body[field.key]
                continue
            yield "field", f"{field.label}：{_show(field, body[field.key])}", None
        if section.citation and not section.text:
            yield "citation", section.citation, None
    if template.closing:
        yield "text", _fill(template.closing, template, body), template.closing_citation


def _inline_keys(template: Template) -> set[str]:
    from core.documents.templates import _places

    texts = [s.text for s in template.sections] + [template.closing]
    return {name for text in texts for name in _places(text)}


def _fill(text: str, template: Template, body: dict[str, Any]) -> str:
    fields = template.field_map
    values = {key: (_show(fields[key], body[key]) if body.get(key) not in (None, "")
                    else BLANK) for key in fields}
    return text.format_map(values)


def _show(field: Field, value: Any) -> str:
    if field.type == "money":
        return money_text(value)
    if field.type == "date":
        return _date_text(datetime.fromisoformat(value))
    return str(value)


def money_text(fen: int) -> str:
    """人民币1,250.00元（壹仟贰佰伍拾元整）: figures and the capital form, as 文书 write it."""
    return f"人民币{fen // 100:,}.{fen % 100:02d}元（{capital_yuan(fen)}）"


def capital_yuan(fen: int) -> str:
    """A sum in 大写: 12,050 fen → 壹佰贰拾元伍角整."""
    yuan, jiao, fen_part = fen // 100, fen // 10 % 10, fen % 10
    text = (_capital_integer(yuan) + "元") if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif yuan and fen_part:
        text += "零"
    if fen_part:
        text += DIGITS[fen_part] + "分"
    return (text or "零元") + ("" if fen_part else "整")


def _capital_integer(number: int) -> str:
    groups, units = [], ["", "万", "亿", "万亿"]
    index = 0
    while number:
        groups.append((number % 10000, units[index]))
        number //= 10000
        index += 1
    out, zero_pending = "", False
    for position, (group, unit) in enumerate(reversed(groups)):
        if group == 0:
            zero_pending = True
            continue
        if (zero_pending or (position and group < 1000)) and out:
            out += "零"
        out += _capital_group(group) + unit
        zero_pending = False
    return out


def _capital_group(group: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "仟"), (100, "佰"), (10, "拾"), (1, "")):
        digit = group // value % 10
        if digit:
            if zero and out:
                out += "零"
            out += DIGITS[digit] + unit
            zero = False
        else:
            zero = bool(out)
    return out


def _date_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _block(pdf: FPDF, style: str, text: str, citation: str | None) -> None:
    if style == "heading":
        pdf.ln(2)
        pdf.set_font(fonts.FAMILY, size=13)
        pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        return
    if style == "citation":
        _citation(pdf, citation or text)
        return
    if style == "signature":
        _signature(pdf, text, citation or "")
        return
    pdf.set_font(fonts.FAMILY, size=12)
    if style == "text":
        pdf.ln(1.5)  # a paragraph of the 文书's own words stands apart from the fields
    paragraph(pdf, text, line_height=7.5, indent=2 if style == "text" else 0)
    if citation:
        _citation(pdf, citation)


SIGNATURE_HEIGHT = 18  # mm: a handwritten name at about its size on paper


def _signature(pdf: FPDF, label: str, data_url: str) -> None:
    """A signature field: its label, then the drawn PNG (templates.py checked it)."""
    import base64

    pdf.set_font(fonts.FAMILY, size=12)
    pdf.multi_cell(0, 7.5, label, new_x="LMARGIN", new_y="NEXT")
    png = base64.b64decode(data_url.split(",", 1)[1])
    if pdf.get_y() + SIGNATURE_HEIGHT > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(png), x=pdf.l_margin + 4, h=SIGNATURE_HEIGHT)
    pdf.ln(1)


# Chinese line breaking (禁则, GB/T 15834 and common 排版 practice): these never begin a
# line (they hang at the end of the one before), and these never end one.
NO_LINE_START = set("，。、；：？！）》」』”’〕】…—·%,.;:?!)]}")
NO_LINE_END = set("（《「『“‘〔【([{")
_LATIN = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_/%@")


def paragraph(pdf: FPDF, text: str, *, line_height: float, indent: int = 0) -> None:
    """A paragraph set line by line as Chinese is: broken between any two characters
    (a run of Latin letters and digits kept whole), no line begun with closing
    punctuation, none ended with opening punctuation, the first line indented by
    `indent` ideographic spaces (fpdf2's multi_cell wraps at spaces, as Latin text does)."""
    for number, hard_line in enumerate(text.split("\n")):
        first_indent = pdf.get_string_width("\u3000") * indent if number == 0 else 0
        for offset, line in _broken(pdf, hard_line, first_indent):
            pdf.set_x(pdf.l_margin + offset)
            pdf.cell(pdf.epw - offset, line_height, line, new_x="LMARGIN", new_y="NEXT")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for char in text:
        if char in _LATIN and tokens and tokens[-1][-1] in _LATIN:
            tokens[-1] += char
        else:
            tokens.append(char)
    return tokens


def _broken(pdf: FPDF, text: str, first_indent: float):
    """(indent, line) pairs that fit the text width."""
    lines: list[list[str]] = [[]]
    width = pdf.epw - first_indent
    used = 0.0
    for token in _tokens(text):
        size = pdf.get_string_width(token)
        line = lines[-1]
        if line and used + size > width and token not in NO_LINE_START:
            carried = []
            while line and line[-1] in NO_LINE_END:  # an opening mark goes down with it
                carried.insert(0, line.pop())
            lines.append(carried)
            line, width = lines[-1], pdf.epw
            used = sum(pdf.get_string_width(t) for t in line)
        line.append(token)
        used += size
    return [(first_indent if i == 0 else 0, "".join(line)) for i, line in enumerate(lines)]


def _citation(pdf: FPDF, citation: str) -> None:
    with pdf.local_context(text_color=(90, 90, 90)):
        pdf.set_font(fonts.FAMILY, size=9.5)
        pdf.multi_cell(0, 6, f"（依据：{citation}）", align="R", new_x="LMARGIN", new_y="NEXT")


QR_SIZE = 30  # mm


def _foot(pdf: FPDF, doc: Printable) -> None:
    """The unit and the date at the right, the QR code at the left: kept together on one
    page."""
    if pdf.get_y() > pdf.h - 22 - QR_SIZE - 8:
        pdf.add_page()
    pdf.ln(8)
    top = pdf.get_y()
    pdf.set_font(fonts.FAMILY, size=12)
    pdf.set_x(pdf.w - 22 - 80)
    pdf.multi_cell(80, 8, f"{doc.unit_name}\n（印章）\n{_date_text(doc.dated) or '年　月　日'}",
                   align="C")
    if doc.verify_url:
        pdf.image(_qr_png(doc.verify_url), x=25, y=top, w=QR_SIZE, h=QR_SIZE)
        pdf.set_xy(25, top + QR_SIZE)
        pdf.set_font(fonts.FAMILY, size=8)
        pdf.cell(QR_SIZE + 20, 5, "扫码核验本文书真伪")


def _qr_png(url: str) -> io.BytesIO:
    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=4, border=2)
    buffer.seek(0)
    return buffer
