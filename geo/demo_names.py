"""Plausible, unique Chinese place names for synthesised townships and villages."""

import numpy as np

_FIRST = list("东西南北中上下新老大小金银石玉龙凤云山水田河湖江溪泉塘"
              "桥坪岭岗冲湾洲坝林竹松柏桃李杏梅荷兰枫樟茶")
_SECOND = list("安宁和平兴隆丰盛富康泰华阳明光荣昌瑞祥福寿春秋霞岚峰源港湾塘坪洲桥铺市渡口村冲垅")

TOWNSHIP_SUFFIX = {"street": "街道", "town": "镇", "township": "乡"}
VILLAGE_SUFFIX = {"community": "社区", "village": "村"}


class NameMaker:
    """Draws two-character names without repeats (per maker), deterministically by seed."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def draw(self, suffix: str) -> str:
        for _ in range(200):
            base = self._rng.choice(_FIRST) + self._rng.choice(_SECOND)
            if base not in self._used:
                self._used.add(base)
                return base + suffix
        # Every short name taken (only in very large cities): lengthen it.
        base = "".join(self._rng.choice(_FIRST + _SECOND, size=3))
        self._used.add(base)
        return base + suffix
