"""综合执法 (joint administrative enforcement) under the 行政处罚法."""
