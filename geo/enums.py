from enum import StrEnum


class AreaLevel(StrEnum):
    """The administrative hierarchy, top down. A grid (网格) is the smallest unit."""

    city = "city"
    county = "county"
    township = "township"
    village = "village"
    grid = "grid"

    @property
    def code_length(self) -> int:
        return CODE_LENGTH[self]

    @property
    def parent(self) -> "AreaLevel | None":
        index = LEVELS.index(self)
        return LEVELS[index - 1] if index else None


LEVELS = list(AreaLevel)
CODE_LENGTH = {
    AreaLevel.city: 6,
    AreaLevel.county: 6,
    AreaLevel.township: 9,
    AreaLevel.village: 12,
    AreaLevel.grid: 15,
}
