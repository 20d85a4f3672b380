"""The CJK font of 文书 PDFs, found once and prepared once per process.

Which font: `DOCUMENT_FONT_PATH` (and `DOCUMENT_FONT_INDEX` for a face of a .ttc
collection), else the first of SEARCH that exists. scripts/setup.sh and the Dockerfile
install WenQuanYi Micro Hei (fonts-wqy-microhei) in every mode.

Why prepared: fpdf2 parses a font each time a document adds it, and subsets it when the
PDF is written; on a 5 MB CJK collection that is ~0.2 s each, most of a decision's time.
So a process parses the font once (the widths and glyph map fpdf2 keeps, `_prototype`)
and gives each PDF a copy with a fresh subset (the tables decompiled once and unpickled
per PDF; glyph bounds kept, not recomputed); and it first cuts the font down to the
characters of GB 2312 plus ASCII and CJK punctuation (about 7,700 glyphs of 30,000+),
which makes the per-PDF subsetting several times faster. A text with a character outside
that set (a rare character in a name: 生僻字) is set with the whole font instead, so no
character is ever lost. The cut font is cached on disk, keyed by the source file, so the
API's and the workers' processes build it once between them.
"""

import contextlib
import copy
import hashlib
import io
import logging
import os
import pickle
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from core.settings import Settings, get_settings

log = logging.getLogger(__name__)

FAMILY = "cjk"
# (path, face index of a collection): WenQuanYi first (what setup installs), then the
# common CJK fonts of Debian/Ubuntu, Fedora and Alpine.
SEARCH = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # the SC face
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


class FontMissing(RuntimeError):
    """No CJK font: a deployment error (install fonts-wqy-microhei), not a user's."""


@dataclass(frozen=True)
class FontFile:
    path: str
    index: int


def font_file(settings: Settings | None = None) -> FontFile:
    """The CJK font to use (module docstring); FontMissing when there is none."""
    settings = settings or get_settings()
    if settings.document_font_path:
        if not Path(settings.document_font_path).is_file():
            raise FontMissing(f"DOCUMENT_FONT_PATH {settings.document_font_path} is not a file")
        return FontFile(settings.document_font_path, settings.document_font_index)
    for path, index in SEARCH:
        if Path(path).is_file():
            return FontFile(path, index)
    raise FontMissing("no CJK font found for 文书 PDFs: install fonts-wqy-microhei "
                      "(scripts/setup.sh does) or set DOCUMENT_FONT_PATH")


def _common_characters() -> set[int]:
    """GB 2312 (every character of its 94×94 table), ASCII, CJK and full-width punctuation."""
    chars: set[int] = set(range(0x20, 0x7F)) | set(range(0x3000, 0x3040)) \
        | set(range(0xFF00, 0xFFF0)) | set(range(0x2010, 0x2070)) | {0xA5, 0xB7, 0xD7}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # the table's unused places
                chars.add(ord(bytes((high, low)).decode("gb2312")))
    return chars


def _cache_path(source: FontFile) -> Path:
    stat = os.stat(source.path)
    key = hashlib.sha256(f"{source.path}|{source.index}|{stat.st_size}|{stat.st_mtime_ns}|2"
                         .encode()).hexdigest()[:24]
    return Path(tempfile.gettempdir()) / "gridgov-fonts" / f"common-{key}.ttf"


def _cut_font(source: FontFile) -> bytes:
    """The source font cut to the common characters, without glyph names or hinting."""
    from fontTools import subset, ttLib

    font = ttLib.TTFont(source.path, fontNumber=source.index, recalcTimestamp=False)
    options = subset.Options()
    options.glyph_names = False
    options.hinting = False
    options.layout_features = []
    options.notdef_outline = True
    # Tables a PDF's horizontal text never reads (fpdf2 drops the layout ones too).
    options.drop_tables += ["GDEF", "GPOS", "GSUB", "vhea", "vmtx", "FFTM", "hdmx"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_common_characters())
    subsetter.subset(font)
    # One Unicode map is enough (Windows BMP, which fpdf2 reads); fewer to copy per PDF.
    windows = [t for t in font["cmap"].tables if (t.platformID, t.platEncID) == (3, 1)]
    if windows:
        font["cmap"].tables = windows
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


@lru_cache(maxsize=4)
def common_font_bytes(source: FontFile) -> bytes:
    """The cut font (module docstring), from the disk cache or built (~2 s) and cached."""
    cached = _cache_path(source)
    try:
        return cached.read_bytes()
    except OSError:
        pass
    data = _cut_font(source)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(cached)  # whole or not at all, whoever writes it
    except OSError as exc:  # a read-only /tmp: keep it in memory only
        log.warning("could not cache the cut CJK font at %s: %s", cached, exc)
    return data


@dataclass
class _Prototype:
    font: object  # fpdf.fonts.TTFFont, parsed once
    data: bytes | None  # the font's bytes (the cut font), None: read from `path`
    path: str
    index: int
    characters: frozenset[int]
    # The cut font's fontTools object with every table decompiled, pickled: unpickling a
    # fresh copy for each PDF is several times faster than parsing the tables again.
    pickled: bytes | None = None


_LOCK = threading.Lock()
_PROTOTYPES: dict[tuple, _Prototype] = {}


def _prototype(source: FontFile, *, whole: bool) -> _Prototype:
    key = (source, whole)
    with _LOCK:
        found = _PROTOTYPES.get(key)
        if found is not None:
            return found
        from fpdf import FPDF

        pdf = FPDF()
        if whole:
            data, path, index = None, source.path, source.index
            pdf.add_font(FAMILY, fname=path, collection_font_number=index)
        else:
            data, index = common_font_bytes(source), 0
            path = str(_cache_path(source))
            if not Path(path).is_file():  # a read-only cache: a private copy
                handle, path = tempfile.mkstemp(suffix=".ttf")
                os.write(handle, data)
                os.close(handle)
            pdf.add_font(FAMILY, fname=path)
        font = pdf.fonts[FAMILY]
        found = _PROTOTYPES[key] = _Prototype(font, data, path, index, frozenset(font.cmap),
                                              _pickled(data) if data is not None else None)
        return found


def _pickled(data: bytes) -> bytes | None:
    """The font decompiled whole and pickled (our own object, never read from outside)."""
    from fontTools import ttLib

    try:
        font = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, recalcBBoxes=False)
        for tag in font.keys():  # noqa: SIM118 (a TTFont is not a dict)
            font[tag]  # noqa: B018 (decompiles the table)
        font.getGlyphOrder()
        font.reader = None  # the file is not needed any more, and cannot be pickled
        return pickle.dumps(font, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # noqa: BLE001 (an optimisation: parse per PDF instead)
        log.warning("could not prepare the cut CJK font for reuse: %s", exc)
        return None


def install(pdf, text: str, settings: Settings | None = None) -> None:
    """Give `pdf` the CJK font as family "cjk": the cut font when it has every character
    of `text` (everything the PDF will print), else the whole font."""
    source = font_file(settings)
    needed = {ord(char) for char in text if not char.isspace()}
    prototype = _prototype(source, whole=False)
    if not needed <= prototype.characters:
        prototype = _prototype(source, whole=True)
    try:
        pdf.fonts[FAMILY] = _fresh_copy(prototype, pdf)
    except (AttributeError, TypeError, ImportError):  # fpdf2's internals moved: parse it
        log.warning("fpdf2's font internals changed: parsing the CJK font per PDF")
        pdf.add_font(FAMILY, fname=prototype.path, collection_font_number=prototype.index)


def _fresh_copy(prototype: _Prototype, pdf):
    """A copy of the parsed font for one PDF: the parsed tables shared (read only), its
    own fontTools font (fpdf2's subsetting changes it in place) and subset map."""
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap

    font = copy.copy(prototype.font)
    font.i = len(pdf.fonts) + 1
    if prototype.pickled is not None:
        font.ttfont = pickle.loads(prototype.pickled)  # noqa: S301 (our own, in memory)
    else:
        source = io.BytesIO(prototype.data) if prototype.data is not None else prototype.path
        # recalcBBoxes=False: the glyphs keep their stored bounds when the subset is
        # written, instead of being decoded and measured again (most of the time).
        font.ttfont = ttLib.TTFont(source, recalcTimestamp=False, recalcBBoxes=False,
                                   fontNumber=prototype.index, lazy=True)
    font.subset = SubsetMap(font)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    return font


def warm(settings: Settings | None = None) -> None:
    """Prepare the font now (a worker's start, a bench's warm-up) rather than at the first
    PDF."""
    _prototype(font_file(settings), whole=False)
