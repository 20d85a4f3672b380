"""The checked rows of a roster into a temporary staging table (imports.py), by COPY in
chunks: market_entity_staging, dropped at commit, with a GiST index on its points for
the locating join."""

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.progress import StageProgress
from market_supervision.register.import_checks import Clean

STAGING = """CREATE TEMP TABLE market_entity_staging (
    row int, uscc text COLLATE "C", name text, type text, legal_representative text,
    address text, lon float8, lat float8, industry text, licences jsonb, legacy bool,
    point geometry(Point, 4326)) ON COMMIT DROP"""


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str) -> str:
    """A text value in COPY's text format (backslash, tab and line breaks escaped)."""
    return value.translate(_COPY_ESCAPES)


def new_staging(session: Session) -> None:
    # ON COMMIT DROP ends it with the transaction; a second import in one transaction (a
    # test's) starts afresh.
    session.execute(text("DROP TABLE IF EXISTS market_entity_staging, market_entity_located"))
    session.execute(text(STAGING))


def index_staging(session: Session) -> None:
    session.execute(text("CREATE INDEX ON market_entity_staging USING gist (point)"))
    session.execute(text("ANALYZE market_entity_staging"))


def _stage_rows(session: Session, clean: Clean, stage: StageProgress | None) -> None:
    new_staging(session)
    raw = session.connection().connection.driver_connection
    rows = zip(clean.numbers, clean.uscc, clean.name, clean.type, clean.legal_representative,
               clean.address, clean.lon, clean.lat, clean.industry, clean.licences,
               clean.legacy, strict=True)
    # COPY's text format written in chunks: a row at a time through the driver's adapters
    # costs several times more for half a million rows.
    with raw.cursor() as cursor, cursor.copy(
            "COPY market_entity_staging (row, uscc, name, type, legal_representative, address, "
            "lon, lat, industry, licences, legacy, point) FROM STDIN") as copy:
        chunk: list[str] = []
        for done, (number, uscc, name, kind, person, address, lon, lat, industry, licences,
                   legacy) in enumerate(rows, start=1):
            chunk.append("\t".join((
                str(number), copy_text(uscc), copy_text(name), kind,
                "\\N" if person is None else copy_text(person), copy_text(address),
                repr(lon), repr(lat), industry, copy_text(licences), "t" if legacy else "f",
                f"SRID=4326;POINT({lon!r} {lat!r})")))
            if done % 50_000 == 0:
                copy.write("\n".join(chunk) + "\n")
                chunk.clear()
                if stage is not None:
                    stage("write", done, len(clean))
        if chunk:
            copy.write("\n".join(chunk) + "\n")
    index_staging(session)
    if stage is not None:
        stage("write", len(clean), len(clean))
