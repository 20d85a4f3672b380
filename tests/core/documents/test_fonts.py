"""Which CJK font the PDFs use: DOCUMENT_FONT_PATH when set (a missing file is a clear
deployment error), else the first font of the search that exists; the cut font holds GB
2312 and a text beyond it is set with the whole font."""

import pytest

from core.documents import fonts
from core.settings import Settings

WQY = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def test_the_setting_wins():
    chosen = fonts.font_file(Settings(document_font_path=WQY, document_font_index=1))
    assert (chosen.path, chosen.index) == (WQY, 1)


def test_a_missing_font_is_named():
    with pytest.raises(fonts.FontMissing, match="DOCUMENT_FONT_PATH"):
        fonts.font_file(Settings(document_font_path="/nowhere/font.ttc"))


def test_the_search_finds_the_installed_font(monkeypatch):
    monkeypatch.setattr(fonts, "SEARCH", (("/nowhere/a.ttc", 0), (WQY, 0)))
    assert fonts.font_file(Settings(document_font_path="")).path == WQY
    monkeypatch.setattr(fonts, "SEARCH", (("/nowhere/a.ttc", 0),))
    with pytest.raises(fonts.FontMissing, match="fonts-wqy-microhei"):
        fonts.font_file(Settings(document_font_path=""))


def test_the_cut_font_holds_gb2312_and_rare_characters_use_the_whole_font():
    from fpdf import FPDF

    common = fonts._prototype(fonts.font_file(), whole=False)
    assert {ord(c) for c in "株洲荷塘罚决字〔〕第号，。（）"} <= common.characters
    assert ord("堃") not in common.characters  # not in GB 2312
    for text, whole in (("行政处罚决定书", False), ("王堃", True)):
        pdf = FPDF()
        fonts.install(pdf, text)
        assert (pdf.fonts[fonts.FAMILY].ttfont is not None) and (
            (ord("堃") in pdf.fonts[fonts.FAMILY].cmap) == whole)
