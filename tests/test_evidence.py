"""triangles.evidence: side-by-side indicator series and ratios used in notebook 04."""

import math

import pandas as pd
import pytest

from triangles.evidence import indicator_wide, ratio_table


def _indicators(rows):
    return pd.DataFrame(rows, columns=["indicator", "subject", "year", "value", "unit", "source_id", "note"])


@pytest.fixture
def table():
    return _indicators([
        ("nuclear_warheads_inventory", "US", 2019, 6000.0, "warheads", "s", None),
        ("nuclear_warheads_inventory", "RU", 2019, 6600.0, "warheads", "s", None),
        ("nuclear_warheads_inventory", "CN", 2019, 300.0, "warheads", "s", None),
        ("nuclear_warheads_inventory", "US", 2020, 5000.0, "warheads", "s", None),
        ("nuclear_warheads_inventory", "RU", 2021, 6000.0, "warheads", "s", None),
        ("nuclear_warheads_inventory", "US", 2021, 4000.0, "warheads", "s", None),
        ("trade_goods_total", "CN-RU", 2018, 100.0, "USD billion (current)", "s", None),
        ("trade_goods_total", "US-CN", 2018, 600.0, "USD billion (current)", "s", None),
        ("trade_goods_total", "US-RU", 2018, 20.0, "USD billion (constant 2010)", "s", None),
    ])


def test_indicator_wide_puts_subjects_side_by_side_with_gaps_as_nan(table):
    wide = indicator_wide(table, "nuclear_warheads_inventory", ["RU", "US"])
    assert list(wide.columns) == ["RU", "US"]
    assert list(wide.index) == [2019, 2020, 2021]
    assert wide.loc[2019, "RU"] == 6600
    assert math.isnan(wide.loc[2020, "RU"])


def test_ratio_table_uses_only_years_with_both_values(table):
    ratios = ratio_table(table, "nuclear_warheads_inventory", "RU", "US")
    assert list(ratios.index) == [2019, 2021]
    assert list(ratios.columns) == ["RU", "US", "ratio"]
    assert ratios.loc[2019, "ratio"] == pytest.approx(1.1)
    assert ratios.loc[2021, "ratio"] == pytest.approx(1.5)


def test_ratio_of_dyads(table):
    ratios = ratio_table(table, "trade_goods_total", "CN-RU", "US-CN")
    assert ratios.loc[2018, "ratio"] == pytest.approx(1 / 6)


def test_mixed_units_are_refused(table):
    with pytest.raises(ValueError, match="mixes units"):
        ratio_table(table, "trade_goods_total", "US-RU", "US-CN")


@pytest.mark.parametrize("indicator, subjects, message", [
    ("gdp", ["US"], "no indicator 'gdp'"),
    ("nuclear_warheads_inventory", ["UK"], "no values for UK"),
    ("nuclear_warheads_inventory", [], "at least one subject"),
])
def test_bad_requests_are_explained(table, indicator, subjects, message):
    with pytest.raises(ValueError, match=message):
        indicator_wide(table, indicator, subjects)


def test_same_subject_twice_is_refused(table):
    with pytest.raises(ValueError, match="two different"):
        ratio_table(table, "nuclear_warheads_inventory", "US", "US")


def test_zero_denominator_is_refused(table):
    zero = _indicators([("joint_exercises", "CN-RU", 2019, 5.0, "exercises", "s", None),
                        ("joint_exercises", "US-RU", 2019, 0.0, "exercises", "s", None)])
    with pytest.raises(ValueError, match="undefined"):
        ratio_table(zero, "joint_exercises", "CN-RU", "US-RU")


def test_input_is_not_changed(table):
    before = table.copy()
    ratio_table(table, "nuclear_warheads_inventory", "RU", "US")
    pd.testing.assert_frame_equal(table, before)
