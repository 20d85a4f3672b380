"""Any table a page shows, as an Excel (xlsx) or CSV file (issue 12 §5): the KPI tables,
the rankings, the per-unit and per-worker views. The page sends back the rows it was given
by the API, with its column headers; core/exports.py writes the file (formula-like cells
as text, a BOM for Excel's CSV). Lists too long to send back have their own export
(GET /api/v1/incidents/export), which reads the database itself.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.deps import Requires
from core.exports import LIST_FORMATS, MEDIA_TYPES, Column, table_response
from core.security import Principal
from core.users.enums import Permission

router = APIRouter(prefix="/api/v1/exports", tags=["exports"])
Caller = Annotated[Principal, Depends(Requires(Permission.own_account))]

Cell = Annotated[str, Field(max_length=2000)] | float | int | None


class TableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=80, pattern=r"^[^/\\:*?\"<>|\x00-\x1f]+$")
    format: Literal[LIST_FORMATS] = "xlsx"
    columns: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=60)
    rows: list[list[Cell]] = Field(max_length=20_000)

    @model_validator(mode="after")
    def _rows_fit_the_columns(self) -> "TableIn":
        width = len(self.columns)
        for number, row in enumerate(self.rows, 1):
            if len(row) != width:
                raise ValueError(f"row {number} has {len(row)} cells for {width} columns")
        return self


@router.post("/table", response_class=StreamingResponse, responses={200: {"content": {
    MEDIA_TYPES["xlsx"]: {}, MEDIA_TYPES["csv"]: {}}}})
def export_table(data: TableIn, principal: Caller):
    """The table as a file to download, its headers in the first row."""
    columns = [Column(header, _cell(index)) for index, header in enumerate(data.columns)]
    return table_response(data.rows, columns, filename=data.filename, format=data.format)


def _cell(index: int):
    return lambda row: row[index]
