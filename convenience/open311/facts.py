"""What a POST Service Request reads before it stores anything, in one statement.

The service itself comes from the kernel's intake registry (core/workflow/intake.py: the
grid's 小类, a statement of the grid's own). Everything else the checks and the write
need is read at once, each a column of one SELECT: the app key's row, the catalogue item
of the code, the attributes of the service, whether the point lies in a grid whose
village has an active centre (filing.py: what the filing needs), whether a jurisdiction
is loaded, and the ids of the new request and of its audit event (drawn ahead: the three
rows are written in one statement, requests.py `_accept`). The ids of a request refused
after this are gaps, as a rolled-back transaction leaves (the audit chain is numbered
when sealed, core/audit.py).

One statement instead of six: a statement costs the API ~0.1–0.2 ms of Python and a round
trip (bench/open311_profile.py; /work/notes/bench_convenience.md).
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from convenience.open311.filing import CITY_SQL, INSIDE_SQL
from convenience.open311.keys import hash_key
from convenience.open311.services import ATTRIBUTES_JSON_SQL, CATALOGUE_ITEM_SQL
from core import audit

_FACTS_SQL = text(f"""
    SELECT
      (SELECT json_build_object('id', k.id, 'revoked', k.revoked_at IS NOT NULL)
       FROM open311_api_key k WHERE k.key_hash = CAST(:key_hash AS varchar)) AS api_key,
      (SELECT row_to_json(i) FROM ({CATALOGUE_ITEM_SQL}) i) AS item,
      ({ATTRIBUTES_JSON_SQL}) AS attributes,
      ({INSIDE_SQL}) AS inside,
      ({CITY_SQL}) AS jurisdiction,
      nextval(pg_get_serial_sequence('open311_request', 'id')) AS request_id,
      {audit.NEXT_ID_SQL} AS audit_id""")


@dataclass(frozen=True)
class Facts:
    api_key: dict[str, Any] | None  # {"id", "revoked"} of the key sent; None: unknown
    item: dict[str, Any] | None  # the catalogue item of the code (services.py's row)
    attributes: list[dict[str, Any]]  # the service's attribute rows, in their order
    inside: bool  # the point lies in a grid with an active centre (False without one)
    jurisdiction: bool  # a city is loaded
    request_id: int
    audit_id: int


def read(session: Session, *, code: str, lon: float | None, lat: float | None,
         api_key: str | None) -> Facts:
    row = session.execute(_FACTS_SQL, {
        "code": code, "lon": lon, "lat": lat,
        "key_hash": hash_key(api_key) if api_key is not None else None}).one()
    return Facts(api_key=row.api_key, item=row.item, attributes=row.attributes,
                 inside=bool(row.inside), jurisdiction=bool(row.jurisdiction),
                 request_id=row.request_id, audit_id=row.audit_id)
