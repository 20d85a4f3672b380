from typing import Annotated

from pydantic import BaseModel, Field

Lon = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Lat = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]


class AreaOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    area_m2: float
    population: int | None


class AreaPage(BaseModel):
    total: int
    items: list[AreaOut]


class ChainLinkOut(BaseModel):
    level: str
    code: str
    name: str


class GridRef(BaseModel):
    code: str
    name: str


class LocationOut(BaseModel):
    grid: GridRef
    chain: list[ChainLinkOut] = Field(description="city first, grid last")


class LocateManyIn(BaseModel):
    points: list[tuple[Lon, Lat]] = Field(max_length=10_000, description="[lon, lat] pairs")
    crs: str | None = Field(None, description="EPSG code, gcj02 or bd09; WGS84 if absent")


class LocateManyOut(BaseModel):
    grids: list[str | None] = Field(description="grid code per point, null when outside")
