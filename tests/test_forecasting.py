"""Tests for triangles.forecasting (the Brier score used in notebook 06)."""

import math

import numpy as np
import pandas as pd
import pytest

from triangles.forecasting import ALWAYS_HALF, brier_score, brier_table


def test_formula_by_hand():
    # ((0.7 - 1)^2 + (0.2 - 0)^2 + (0.9 - 1)^2) / 3 = (0.09 + 0.04 + 0.01) / 3
    score = brier_score({"C10": 0.7, "C15": 0.2, "C16": 0.9}, {"C10": 1, "C15": 0, "C16": 1})
    assert math.isclose(score, 0.14 / 3)


def test_extremes_and_baseline():
    assert brier_score([1, 0], [1, 0]) == 0
    assert brier_score([0, 1], [1, 0]) == 1
    assert brier_score([0.5, 0.5, 0.5], [1, 0, 1]) == ALWAYS_HALF == 0.25


def test_mapping_order_does_not_matter():
    a = brier_score({"x": 0.3, "y": 0.8}, {"y": 1, "x": 0})
    b = brier_score({"y": 0.8, "x": 0.3}, {"x": 0, "y": 1})
    assert math.isclose(a, b)


def test_accepts_bools_numpy_and_series():
    assert math.isclose(brier_score(np.array([0.2, 0.6]), [False, True]), (0.04 + 0.16) / 2)
    assert math.isclose(brier_score(pd.Series([0.25]), pd.Series([1])), 0.5625)
    assert brier_score([np.float64(1.0)], [np.int64(1)]) == 0


def test_table_terms_average_to_the_score():
    probabilities, outcomes = {"C10": 0.7, "C15": 0.2, "C16": 0.9}, {"C10": 1, "C15": 0, "C16": 1}
    table = brier_table(probabilities, outcomes)
    assert list(table.index) == ["C10", "C15", "C16"]
    assert table.index.name == "forecast"
    assert list(table.columns) == ["probability", "outcome", "squared_error"]
    assert np.allclose(table["squared_error"], [0.09, 0.04, 0.01])
    assert math.isclose(table["squared_error"].mean(), brier_score(probabilities, outcomes))


def test_table_of_lists_is_numbered():
    assert list(brier_table([0.1, 0.9], [0, 1]).index) == [0, 1]


@pytest.mark.parametrize("probabilities, outcomes, words", [
    ({"a": 70}, {"a": 1}, "from 0 to 1"),
    ({"a": -0.1}, {"a": 1}, "from 0 to 1"),
    ({"a": float("nan")}, {"a": 1}, "from 0 to 1"),
    ({"a": "0.7"}, {"a": 1}, "must be a number"),
    ({"a": True}, {"a": 1}, "must be a number"),
    ({"a": 0.7}, {"a": 2}, "must be 1"),
    ({"a": 0.7}, {"a": "yes"}, "must be 1"),
    ({"a": 0.7}, {"a": float("nan")}, "must be 1"),
    ({"a": 0.7, "b": 0.1}, {"a": 1}, "no outcome for b"),
    ({"a": 0.7}, {"a": 1, "c": 0}, "no probability for c"),
    ([0.7, 0.1], [1], "2 probabilities but 1 outcomes"),
    ({"a": 0.7}, [1], "both as dictionaries"),
    ("0.7", "1", "must be a dictionary or a list"),
    ([], [], "nothing to score"),
])
def test_bad_input_is_explained(probabilities, outcomes, words):
    with pytest.raises(ValueError, match=words):
        brier_score(probabilities, outcomes)
    with pytest.raises(ValueError, match=words):
        brier_table(probabilities, outcomes)
