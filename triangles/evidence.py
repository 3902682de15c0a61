"""Evidence helpers for notebook 04: pure functions over the indicators table, no widgets, no I/O.

    indicator_wide(indicators, indicator, subjects)       years as rows, one column per subject
    ratio_table(indicators, indicator, top, bottom)       top / bottom, in the years both have a value

Both refuse to put values with different units side by side: a ratio of dollars to warheads, or of
current to constant dollars, would be meaningless.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["indicator_wide", "ratio_table"]


def _rows(indicators: pd.DataFrame, indicator: str, subjects: Sequence[str]) -> pd.DataFrame:
    known = set(indicators["indicator"].astype(object))
    if indicator not in known:
        raise ValueError(f"no indicator {indicator!r} in the table; it has {', '.join(sorted(known))}")
    rows = indicators.loc[(indicators["indicator"] == indicator)
                          & indicators["subject"].isin(list(subjects))]
    missing = [s for s in subjects if s not in set(rows["subject"].astype(object))]
    if missing:
        raise ValueError(f"{indicator} has no values for {', '.join(missing)}")
    units = sorted(set(rows["unit"].astype(object)))
    if len(units) > 1:
        raise ValueError(f"{indicator} mixes units for {', '.join(subjects)}: {units}; "
                         "they cannot be compared directly")
    return rows


def indicator_wide(indicators: pd.DataFrame, indicator: str, subjects: Sequence[str]) -> pd.DataFrame:
    """One indicator, years as rows (ascending), the subjects as columns in the order given.

    A year in which a subject has no value holds NaN: a gap in the sources, not a zero.
    """
    subjects = list(subjects)
    if not subjects:
        raise ValueError("name at least one subject, e.g. ['US', 'RU']")
    rows = _rows(indicators, indicator, subjects)
    wide = rows.pivot(index="year", columns="subject", values="value")
    wide = wide.reindex(columns=subjects).sort_index()
    wide.columns.name = None
    return wide.astype("float64")


def ratio_table(indicators: pd.DataFrame, indicator: str, top: str, bottom: str) -> pd.DataFrame:
    """``top`` divided by ``bottom`` for one indicator, in the years both have a value.

    Columns: the two subjects' values and ``ratio``; years as the index. A ratio near 1 means the
    two are about the same size; 0.5 means ``top`` is half of ``bottom``.
    """
    if top == bottom:
        raise ValueError("compare two different subjects")
    wide = indicator_wide(indicators, indicator, [top, bottom]).dropna()
    if (wide[bottom] == 0).any():
        raise ValueError(f"{bottom} is zero in some year; the ratio is undefined there")
    wide["ratio"] = wide[top] / wide[bottom]
    return wide
