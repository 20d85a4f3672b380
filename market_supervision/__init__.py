"""市场监管 (market supervision): 一单两库, 双随机一公开 draws, inspections, 公示."""
