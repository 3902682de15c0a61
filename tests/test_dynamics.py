"""Tests for triangles.dynamics: the balance-seeking what-if model."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triangles.dynamics import (
    DEFAULT_ETA,
    MAX_STEPS,
    SCENARIOS,
    Scenario,
    get_scenario,
    path_frame_records,
    path_summary,
    simulate,
    step,
)
from triangles.model import (
    DYADS,
    NEUTRAL_BAND,
    Configuration,
    Role,
    Triangle,
    analyse,
    is_balanced,
)

score = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
triangles = st.builds(Triangle, score, score, score)
neutral_score = st.floats(min_value=-NEUTRAL_BAND, max_value=NEUTRAL_BAND,
                          allow_nan=False, exclude_min=True, exclude_max=True)
neutral_triangles = st.builds(Triangle, neutral_score, neutral_score, neutral_score)
scenario_keys = st.sampled_from(sorted(SCENARIOS))


def test_required_scenarios_exist_and_are_described():
    for key in ("china-russia-alliance", "us-russia-rapprochement",
                "us-pressure-on-both", "status-quo"):
        sc = SCENARIOS[key]
        assert sc.key == key and sc.title and sc.description and sc.steps == 20
        assert set(sc.pushes) == set(DYADS)
    assert SCENARIOS["status-quo"].pushes == {d: 0.0 for d in DYADS}
    assert SCENARIOS["us-pressure-on-both"].pushes["CN-RU"] == 0.0
    assert SCENARIOS["us-pressure-on-both"].pushes["US-CN"] < 0
    assert SCENARIOS["us-pressure-on-both"].pushes["US-RU"] < 0


def test_scenario_pushes_are_read_only_and_normalised():
    sc = Scenario("x", "X", "A test push.", {"RU-CN": 0.1})
    assert sc.pushes == {"US-CN": 0.0, "US-RU": 0.0, "CN-RU": 0.1}
    with pytest.raises(TypeError):
        sc.pushes["US-CN"] = 1.0  # type: ignore[index]
    assert hash(sc) == hash(Scenario("x", "X", "A test push.", {"CN-RU": 0.1}))


def test_one_step_by_hand():
    # US-CN: 0.5 + 0.5*(-0.4*0.2) + 0.1 = 0.56
    # US-RU: -0.4 + 0.5*(0.5*0.2)      = -0.35
    # CN-RU: 0.2 + 0.5*(0.5*-0.4)      = 0.10
    t = step(Triangle(0.5, -0.4, 0.2), {"US-CN": 0.1}, eta=0.5)
    assert t.us_cn == pytest.approx(0.56)
    assert t.us_ru == pytest.approx(-0.35)
    assert t.cn_ru == pytest.approx(0.10)


def test_values_are_clipped():
    t = step(Triangle(1.0, 1.0, 0.9), {"US-CN": 0.5, "CN-RU": -1.0}, eta=1.0)
    assert t.us_cn == 1.0          # 1 + 0.9 + 0.5, clipped
    assert t.cn_ru == pytest.approx(0.9)  # 0.9 + 1 - 1


def test_simulate_shape_and_defaults():
    start = Triangle(0.1, -0.3, 0.4)
    path = simulate(start, "status-quo")
    assert len(path) == SCENARIOS["status-quo"].steps + 1 == 21
    assert path[0] is start
    assert len(simulate(start, SCENARIOS["status-quo"], steps=0)) == 1
    assert len(simulate(start, "status-quo", steps=3)) == 4
    assert simulate({"US-CN": 0.1, "RU-US": -0.3, "CN-RU": 0.4}, "status-quo", steps=2) == \
        simulate(start, "status-quo", steps=2)


@given(triangles, scenario_keys, st.integers(0, 30), st.floats(0.0, 1.0))
def test_simulate_stays_in_range_and_is_deterministic(start, key, n, eta):
    path = simulate(start, key, steps=n, eta=eta)
    assert len(path) == n + 1 and path[0] == start
    for t in path:
        assert all(-1.0 <= v <= 1.0 and math.isfinite(v) for v in t.as_dict().values())
    assert simulate(start, key, steps=n, eta=eta) == path


@given(neutral_triangles)
def test_us_pressure_on_both_pushes_china_and_russia_together(start):
    end = simulate(start, "us-pressure-on-both")[-1]
    assert end.cn_ru > start.cn_ru
    result = analyse(end)
    assert result.configuration is Configuration.STABLE_MARRIAGE
    assert result.roles["US"] is Role.OUTCAST


def test_pressure_effect_comes_from_the_balance_term():
    # Without balance-seeking (eta = 0) the pushes never reach CN-RU.
    start = Triangle(0.0, 0.0, 0.0)
    assert simulate(start, "us-pressure-on-both", eta=0.0)[-1].cn_ru == 0.0
    assert simulate(start, "us-pressure-on-both")[-1].cn_ru > 0.5


@given(neutral_triangles)
def test_china_russia_alliance_raises_cn_ru(start):
    end = simulate(start, "china-russia-alliance")[-1]
    assert end.cn_ru > start.cn_ru and end.signs().cn_ru == 1


@given(st.sampled_from([(1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)]),
       st.tuples(*(st.floats(NEUTRAL_BAND, 1.0),) * 3))
def test_status_quo_keeps_a_balanced_configuration(pattern, magnitudes):
    start = Triangle(*(s * m for s, m in zip(pattern, magnitudes)))
    assert is_balanced(start.signs()) is True
    configs = {analyse(t).configuration for t in simulate(start, "status-quo")}
    assert configs == {analyse(start).configuration}


def test_status_quo_unbalanced_triangle_drifts_to_balance():
    # A romantic triangle with Russia as pivot: the US-RU tie is the weakest
    # link, and balance-seeking turns it, leaving a China-Russia marriage.
    path = simulate(Triangle(-0.5, 0.3, 0.6), "status-quo", steps=40)
    assert analyse(path[0]).configuration is Configuration.ROMANTIC
    assert analyse(path[-1]).configuration is Configuration.STABLE_MARRIAGE
    assert analyse(path[-1]).roles["US"] is Role.OUTCAST


def test_eta_zero_and_no_push_keeps_everything_still():
    start = Triangle(0.3, -0.7, 0.2)
    assert set(simulate(start, "status-quo", eta=0.0)) == {start}


# --------------------------------------------------------------------------
# records and summaries


def test_path_frame_records():
    path = simulate(Triangle(0.0, 0.1, -0.1), "us-pressure-on-both", steps=2)
    records = path_frame_records(path)
    assert len(records) == 3 * 3
    assert records[0] == {"step": 0, "dyad": "US-CN", "value": 0.0}
    assert all(set(r) == {"step", "dyad", "value"} for r in records)
    assert [r["dyad"] for r in records[:3]] == list(DYADS)
    assert records[-1] == {"step": 2, "dyad": "CN-RU", "value": path[2].cn_ru}


def test_path_summary():
    path = simulate(Triangle(0.0, 0.0, 0.0), "us-pressure-on-both")
    text = path_summary(path)
    assert text.startswith("Over 20 steps: US-CN +0.00 → -1.00")
    assert "undetermined (a neutral dyad) → stable marriage" in text
    still = path_summary([Triangle(1, 1, 1)] * 3)
    assert "stays a ménage à trois throughout" in still
    assert path_summary([]) == "The path is empty."


# --------------------------------------------------------------------------
# errors


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(steps=-1), f"steps must be from 0 to {MAX_STEPS}; got -1"),
    (dict(steps=MAX_STEPS + 1), f"steps must be from 0 to {MAX_STEPS}"),
    (dict(steps=1.5), "steps must be a whole number"),
    (dict(steps=True), "steps must be a whole number"),
    (dict(eta=-0.1), r"eta \(balance-seeking rate\) must be a number in \[0, 1\]; got -0.1"),
    (dict(eta=2), r"eta .* got 2"),
    (dict(eta=float("nan")), r"eta .* got nan"),
])
def test_simulate_rejects_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        simulate(Triangle(0, 0, 0), "status-quo", **kwargs)


def test_unknown_scenario_lists_the_known_keys():
    with pytest.raises(ValueError, match="unknown scenario 'cold-war'; built-in keys: .*status-quo"):
        simulate(Triangle(0, 0, 0), "cold-war")
    with pytest.raises(ValueError, match="unknown scenario 3"):
        get_scenario(3)  # type: ignore[arg-type]


@pytest.mark.parametrize("start, fragment", [
    ([0, 0, 0], "start must be a Triangle or a mapping"),
    ({"US-CN": 0, "US-RU": 0}, "missing dyads CN-RU"),
    ({"US-CN": 0, "US-RU": 0, "CN-RU": 9}, r"CN-RU score must be in \[-1, 1\]"),
])
def test_simulate_rejects_bad_starts(start, fragment):
    with pytest.raises(ValueError, match=fragment):
        simulate(start, "status-quo")


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(pushes={"US-EU": 0.1}), "unknown dyad 'US-EU'"),
    (dict(pushes={"US-CN": 0.1, "CN-US": 0.2}), "push for US-CN given twice"),
    (dict(pushes={"US-RU": 1.5}), r"push on US-RU must be a number in \[-1, 1\] per step; got 1.5"),
    (dict(pushes={"US-RU": float("nan")}), "push on US-RU must be a number"),
    (dict(pushes=[0.1, 0.1, 0.1]), "pushes must be a mapping"),
    (dict(steps=-3), f"Scenario.steps must be from 0 to {MAX_STEPS}; got -3"),
    (dict(title="  "), "Scenario.title must be a non-empty string"),
])
def test_scenario_rejects_bad_fields(kwargs, fragment):
    fields = dict(key="k", title="T", description="D", pushes={}, steps=5, **{})
    fields.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        Scenario(**fields)


def test_path_functions_reject_non_paths():
    with pytest.raises(ValueError, match=r"path\[1\] must be a Triangle; got dict"):
        path_frame_records([Triangle(0, 0, 0), {"US-CN": 0}])
    with pytest.raises(ValueError, match="path must be a list of Triangle; got str"):
        path_summary("abc")
    with pytest.raises(ValueError, match="band must be"):
        path_summary([Triangle(0, 0, 0)], band=1)


def test_default_eta_is_documented_value():
    assert DEFAULT_ETA == 0.15
