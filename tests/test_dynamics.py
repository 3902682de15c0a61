"""Tests for triangles.dynamics: the options model (docs/scenario-model.md)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triangles.data import DATA_DIR, triangle_for_year
from triangles.dynamics import (
    DEFAULT_PARAMS,
    DEFAULT_PUSH,
    DEFAULT_STEPS,
    MAX_PUSH,
    MAX_STEPS,
    OPTION_KEYS,
    SCENARIOS,
    ModelParams,
    Scenario,
    compare_options,
    get_scenario,
    minimal_push,
    outcome,
    outcome_map,
    path_frame_records,
    path_summary,
    simulate,
    simulate_batch,
    state_code,
    state_label,
    step,
)
from triangles.model import (
    ACTORS,
    DYADS,
    Configuration,
    Role,
    Signs,
    Triangle,
    analyse,
    dyad_key,
)

score = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
triangles = st.builds(Triangle, score, score, score)
push = st.floats(min_value=-MAX_PUSH, max_value=MAX_PUSH, allow_nan=False)
pushes = st.fixed_dictionaries({d: push for d in DYADS})
params = st.builds(
    ModelParams,
    balance=st.floats(0.0, 0.3), responsiveness=st.floats(0.0, 0.15),
    cohesion=st.floats(0.0, 0.3), commitment=st.floats(0.0, 0.1),
    max_change=st.floats(0.05, 0.3), actor=st.sampled_from(ACTORS))


@pytest.fixture(scope="module")
def coded():
    # Only the relations table: these tests must not depend on the rest of the data.
    relations = pd.read_csv(DATA_DIR / "relations.csv")
    return {year: triangle_for_year(relations, year) for year in (1969, 2018, 2019)}


def _scenario(p: dict) -> Scenario:
    return Scenario("p", "P", "A test push.", p)


# --------------------------------------------------------------------------
# options and parameters


def test_the_four_options_and_their_targets():
    assert list(SCENARIOS)[0] == "status-quo" and SCENARIOS["status-quo"].target is None
    targets = {key: SCENARIOS[key].target.as_dict() for key in OPTION_KEYS}
    assert targets == {
        "us-wedge-toward-moscow": {"US-CN": -1, "US-RU": 1, "CN-RU": -1},
        "us-wedge-toward-beijing": {"US-CN": 1, "US-RU": -1, "CN-RU": -1},
        "us-pressure-on-both": {"US-CN": -1, "US-RU": -1, "CN-RU": -1},
        "us-engages-both": {"US-CN": 1, "US-RU": 1, "CN-RU": 1},
    }
    for key in OPTION_KEYS:
        sc = SCENARIOS[key]
        assert sc.push_size == pytest.approx(DEFAULT_PUSH) and sc.steps == DEFAULT_STEPS
        assert sc.pushes["CN-RU"] == 0.0  # Washington cannot push the other dyad


def test_scaled_keeps_the_direction():
    sc = SCENARIOS["us-wedge-toward-moscow"].scaled(0.2)
    assert sc.pushes == {"US-CN": -0.1, "US-RU": 0.2, "CN-RU": 0.0}
    assert sc.target == SCENARIOS["us-wedge-toward-moscow"].target
    with pytest.raises(ValueError, match=r"push size must be a number in \[0, 0.3\]"):
        sc.scaled(0.5)


def test_scenario_pushes_are_read_only_normalised_and_hashable():
    sc = Scenario("x", "X", "A test push.", {"RU-CN": 0.1})
    assert sc.pushes == {"US-CN": 0.0, "US-RU": 0.0, "CN-RU": 0.1}
    with pytest.raises(TypeError):
        sc.pushes["US-CN"] = 1.0  # type: ignore[index]
    assert hash(sc) == hash(Scenario("x", "X", "A test push.", {"CN-RU": 0.1}))
    assert sc != Scenario("x", "X", "A test push.", {"CN-RU": 0.2})


def test_default_parameters_are_the_documented_ones():
    assert DEFAULT_PARAMS == ModelParams(balance=0.15, responsiveness=0.06, cohesion=0.05,
                                         commitment=0.02, max_change=0.15, actor="US")


# --------------------------------------------------------------------------
# the update rule


def test_one_step_by_hand():
    # Start (US-CN -0.5, US-RU -0.7, CN-RU +0.8), wedge toward Moscow at 0.1.
    # China: only US-CN is below amity -> effort 0.06/2 on US-CN; Russia likewise on US-RU.
    # US-CN: -0.05 + 0.15*(-0.7*0.8) + 0.03 = -0.104;  US-RU: 0.1 + 0.15*(-0.5*0.8) + 0.03 = 0.07
    # CN-RU: 0.15*(-0.5*-0.7) = 0.0525 (no one works on it; commitments pull nothing at the start).
    t = step(Triangle(-0.5, -0.7, 0.8), {"US-RU": 0.1, "US-CN": -0.05})
    assert t.us_cn == pytest.approx(-0.5 - 0.104)
    assert t.us_ru == pytest.approx(-0.7 + 0.07)
    assert t.cn_ru == pytest.approx(0.8 + 0.0525)


def test_step_limit_and_clipping():
    # A push of 1 per step moves a relation only by max_change.
    t = step(Triangle(0.0, 0.0, 0.0), {"US-CN": 1.0}, params=DEFAULT_PARAMS.with_(balance=0.0))
    assert t.us_cn == pytest.approx(DEFAULT_PARAMS.max_change)
    t = step(Triangle(1.0, 1.0, 0.9), {"US-CN": 0.3}, params=DEFAULT_PARAMS.with_(max_change=2.0))
    assert t.us_cn == 1.0


def test_commitment_pulls_back_to_the_start():
    # Without balance and pushes, a relation once moved returns towards its start.
    p = ModelParams(balance=0.0, responsiveness=0.0, cohesion=0.2, commitment=0.0)
    path = simulate(Triangle(0.9, 0.9, 0.9), _scenario({"CN-RU": -0.2}), steps=200, params=p)
    assert path[-1].cn_ru == pytest.approx(0.9 - 0.2 / 0.2, abs=1e-6)  # equilibrium start + push/cohesion


def test_responders_seek_better_roles_and_the_actor_does_not():
    # Unit veto, no balance, no commitments: each responder works on its relation nearer amity.
    p = ModelParams(balance=0.0, cohesion=0.0, commitment=0.0)
    t = step(Triangle(-0.5, -0.6, -0.9), {}, params=p)
    # China: US-CN (-0.5) beats CN-RU (-0.9); Russia: US-RU (-0.6) beats CN-RU. The US does nothing.
    assert (t.us_cn, t.us_ru, t.cn_ru) == pytest.approx((-0.47, -0.57, -0.9))
    # With Russia acting instead, the US responds (on US-CN, nearer amity) and Russia does not.
    t = step(Triangle(-0.5, -0.6, -0.9), {}, params=p.with_(actor="RU"))
    assert (t.us_cn, t.us_ru, t.cn_ru) == pytest.approx((-0.44, -0.6, -0.9))


def test_status_quo_from_2019_stays_put(coded):
    path = simulate(coded[2019], "status-quo")
    assert {analyse(t).configuration for t in path} == {Configuration.STABLE_MARRIAGE}


# --------------------------------------------------------------------------
# properties


@settings(max_examples=60, deadline=None)
@given(triangles, pushes, st.integers(0, 40), params)
def test_runs_stay_in_range_and_are_deterministic(start, p, n, prm):
    path = simulate(start, _scenario(p), steps=n, params=prm)
    assert len(path) == n + 1 and path[0] == start
    for t in path:
        assert all(-1.0 <= v <= 1.0 and math.isfinite(v) for v in t.as_dict().values())
    assert simulate(start, _scenario(p), steps=n, params=prm) == path
    # The batch core gives the same numbers.
    batch = simulate_batch(np.array([list(start.as_dict().values())]),
                           np.array([[p[d] for d in DYADS]]), [prm], n)[0]
    assert np.array_equal(batch, np.array([list(t.as_dict().values()) for t in path]))


_PERMUTATIONS = [("US", "RU", "CN"), ("CN", "US", "RU"), ("RU", "CN", "US")]


def _relabel(mapping: dict, names: dict) -> dict:
    """Dyad-keyed values after renaming each actor a to names[a]."""
    return {dyad_key(*(names[a] for a in d.split("-"))): v for d, v in mapping.items()}


@settings(max_examples=60, deadline=None)
@given(triangles, pushes, params, st.sampled_from(_PERMUTATIONS))
def test_relabelling_the_actors_permutes_the_results(start, p, prm, perm):
    names = dict(zip(ACTORS, perm))
    path = simulate(start, _scenario(p), steps=25, params=prm)
    moved = simulate(Triangle.from_mapping(_relabel(start.as_dict(), names)),
                     _scenario(_relabel(p, names)), steps=25,
                     params=prm.with_(actor=names[prm.actor]))
    for a, b in zip(path, moved):
        assert _relabel(a.as_dict(), names) == pytest.approx(b.as_dict(), abs=1e-12)
    roles_before = analyse(path[-1]).roles
    roles_after = analyse(moved[-1]).roles
    assert {names[a]: r for a, r in roles_before.items()} == roles_after


@settings(max_examples=100, deadline=None)
@given(triangles, pushes, st.sampled_from(DYADS), st.floats(0.0, 0.1), params)
def test_a_stronger_push_never_lowers_the_pushed_dyad_in_one_step(start, p, dyad, extra, prm):
    stronger = dict(p)
    stronger[dyad] = min(1.0, p[dyad] + extra)
    weak = step(start, p, params=prm).as_dict()[dyad]
    assert step(start, stronger, params=prm).as_dict()[dyad] >= weak


def test_a_stronger_option_never_lowers_the_relation_it_warms(coded):
    # Over whole runs the property holds for the relation an option warms, from every coded
    # year, at 61 push sizes.  It does NOT hold for every run (docs/scenario-model.md, "Limits"):
    # near a threshold a slightly stronger push can end lower, and a relation an option
    # presses can end friendlier under a stronger push (the next test).
    relations = pd.read_csv(DATA_DIR / "relations.csv")
    sizes = np.linspace(0.0, MAX_PUSH, 61)
    for year in sorted(relations["year"].unique()):
        start = list(triangle_for_year(relations, int(year)).as_dict().values())
        for key in OPTION_KEYS:
            direction = np.array(SCENARIOS[key].direction())
            ends = simulate_batch(np.tile(start, (61, 1)), sizes[:, None] * direction,
                                  [DEFAULT_PARAMS] * 61, DEFAULT_STEPS)[:, -1]
            for d in np.flatnonzero(direction > 0):
                assert np.all(np.diff(ends[:, d]) >= 0), (year, key, DYADS[d])


def test_a_stronger_wedge_can_leave_the_pressed_relation_friendlier():
    # The documented exception: from the 2014 coding, a wedge toward Moscow of 0.09 makes
    # Russia the pivot; China, now a wing, courts Washington harder than Washington presses it
    # (amity with the US would make China a friend, Wu's rank 2), so US-China ends friendlier
    # than under a weaker wedge of 0.05, which leaves the 2014 marriage in place.
    start = Triangle(-0.2, -0.5, 0.75)
    option = SCENARIOS["us-wedge-toward-moscow"]
    pressed = [simulate(start, option.scaled(size))[-1].us_cn for size in (0.05, 0.09)]
    assert pressed[1] > pressed[0] + 0.5


# --------------------------------------------------------------------------
# the options from the coded starts (docs/scenario-model.md, "Calibration")


def test_from_2019_the_options_end_in_different_states(coded):
    results = compare_options(coded[2019], keys=("status-quo",) + OPTION_KEYS)
    states = {r.scenario.key: r.outcome.label for r in results}
    assert states == {
        "status-quo": "stable marriage, US outcast",
        "us-wedge-toward-moscow": "undetermined (a neutral dyad)",
        "us-wedge-toward-beijing": "romantic triangle, CN pivot",
        "us-pressure-on-both": "stable marriage, US outcast",
        "us-engages-both": "ménage à trois",
    }
    determined = {r.outcome.state for r in results
                  if r.outcome.configuration is not Configuration.UNDETERMINED}
    assert len(determined) >= 3


def test_2019_wedge_is_hard_but_possible_and_cohesion_carries_it(coded):
    start = coded[2019]
    wedge = minimal_push(start, "us-wedge-toward-moscow")
    engage = minimal_push(start, "us-engages-both")
    assert wedge is not None and engage is not None
    assert wedge > 2.5 * engage  # hard: much more push than engagement needs
    assert wedge < MAX_PUSH  # but possible
    # Cohesion carries it: at twice the documented cohesion no push up to MAX_PUSH splits them.
    assert minimal_push(start, "us-wedge-toward-moscow", DEFAULT_PARAMS.with_(cohesion=0.1)) is None
    assert minimal_push(start, "us-wedge-toward-moscow", DEFAULT_PARAMS.with_(cohesion=0.075)) is not None
    # Pressure on both can never reach all-round enmity: it drives China and Russia together.
    assert minimal_push(start, "us-pressure-on-both") is None


def test_minimal_push_is_the_edge_of_success(coded):
    start = coded[2019]
    need = minimal_push(start, "us-wedge-toward-moscow")
    option = SCENARIOS["us-wedge-toward-moscow"]
    hit = outcome(simulate(start, option.scaled(need)), option.target)
    miss = outcome(simulate(start, option.scaled(need - 0.002)), option.target)
    assert hit.reached is True and miss.reached is False
    assert hit.label == "stable marriage, CN outcast"


def test_from_1969_the_opening_gives_the_1970s_patterns(coded):
    start = coded[1969]
    opening = Scenario("opening", "The opening to China", "US-CN up.", {"US-CN": 0.1},
                       target={"US-CN": 1, "US-RU": -1, "CN-RU": -1})
    end = outcome(simulate(start, opening), opening.target)
    # The coded 1972-78 pattern: the US and China partners, the Soviet Union the outcast.
    assert end.reached and end.roles["US"] is Role.PARTNER and end.roles["RU"] is Role.OUTCAST
    # Without the opening, balance pulls the two superpowers together against China.
    assert outcome(simulate(start, "status-quo")).label == "stable marriage, CN outcast"
    # Opening plus detente: Dittmer's romantic triangle with the US as pivot, when
    # Sino-Soviet hostility is held firmly (cohesion 0.3, after the 1969 border war).
    detente = SCENARIOS["us-engages-both"]
    firm = outcome(simulate(start, detente, params=DEFAULT_PARAMS.with_(cohesion=0.3)))
    assert firm.label == "romantic triangle, US pivot"
    loose = outcome(simulate(start, detente))
    assert loose.configuration is Configuration.MENAGE_A_TROIS


def test_outcome_map_from_2019(coded):
    m = outcome_map(coded[2019], "us-wedge-toward-moscow")
    assert m.pushes[0] == 0.0 and m.cohesions[0] == 0.0
    assert len(m.codes) == len(m.cohesions) and all(len(row) == len(m.pushes) for row in m.codes)
    # No push: the start's marriage; large push and low cohesion: the wedge; high cohesion: no split.
    assert m.codes[0][0] == "SM:US-out"
    assert m.reached[0][-1] and m.codes[0][-1] == "SM:CN-out"
    assert not any(m.reached[-1])
    assert 0 < m.share_reached() < 0.5
    table = m.as_table()
    assert table.splitlines()[0].startswith("cohesion \\ push") and "SM:CN-out*" in table
    # Cached: the same arguments give the same object's contents.
    assert outcome_map(coded[2019], "us-wedge-toward-moscow") == m


def test_outcome_reports_when_the_end_state_was_reached():
    path = [Triangle(-0.5, -0.5, 0.5), Triangle(0.5, -0.5, 0.5), Triangle(0.6, -0.5, 0.5)]
    o = outcome(path, Signs(1, -1, 1))
    assert o.settled_at == 1 and o.reached is True and o.label == "romantic triangle, CN pivot"
    assert outcome(path).reached is None


def test_state_labels_and_codes():
    assert state_label(Signs(-1, -1, 1)) == "stable marriage, US outcast"
    assert state_code(Signs(-1, -1, 1)) == "SM:US-out"
    assert state_code(Signs(-1, 1, 1)) == "RT:RU-piv"
    assert state_code(Signs(1, 1, 1)) == "MT" and state_code(Signs(0, 1, 1)) == "--"
    assert state_label(Signs(-1, -1, -1)) == "unit veto"


# --------------------------------------------------------------------------
# text and errors


def test_path_frame_records_and_summary():
    path = simulate(Triangle(0.0, 0.0, 0.0), "us-pressure-on-both", steps=2)
    records = path_frame_records(path)
    assert len(records) == 9 and records[-1] == {"step": 2, "dyad": "CN-RU", "value": path[2].cn_ru}
    text = path_summary(simulate(Triangle(0.0, 0.0, 0.0), "us-pressure-on-both"))
    assert text.startswith("Over 40 steps: US-CN +0.00 → -1.00")
    assert "undetermined (a neutral dyad) → " in text
    assert "stays a ménage à trois throughout" in path_summary([Triangle(1, 1, 1)] * 3)
    assert path_summary([]) == "The path is empty."


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(steps=-1), f"steps must be from 0 to {MAX_STEPS}; got -1"),
    (dict(steps=1.5), "steps must be a whole number"),
    (dict(eta=-0.1), r"eta \(balance-seeking rate\) must be a number in \[0, 1\]; got -0.1"),
    (dict(params="fast"), "params must be a ModelParams; got str"),
])
def test_simulate_rejects_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        simulate(Triangle(0, 0, 0), "status-quo", **kwargs)


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(cohesion=-0.1), r"cohesion must be a number in \[0, 1\]; got -0.1"),
    (dict(responsiveness=float("nan")), "responsiveness must be a number"),
    (dict(max_change=0), r"max_change must be a number in \(0, 2\]"),
    (dict(actor="EU"), "actor must be one of US, CN, RU; got 'EU'"),
])
def test_model_params_reject_bad_values(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        ModelParams(**kwargs)


def test_unknown_scenario_and_targetless_minimal_push():
    with pytest.raises(ValueError, match="unknown scenario 'cold-war'; built-in keys: .*status-quo"):
        get_scenario("cold-war")
    with pytest.raises(ValueError, match="'status-quo' has no target"):
        minimal_push(Triangle(0, 0, 0), "status-quo")
    with pytest.raises(ValueError, match="pushes must be a non-empty list"):
        outcome_map(Triangle(0, 0, 0), "us-engages-both", pushes=[])


@pytest.mark.parametrize("kwargs, fragment", [
    (dict(pushes={"US-EU": 0.1}), "unknown dyad 'US-EU'"),
    (dict(pushes={"US-CN": 0.1, "CN-US": 0.2}), "push for US-CN given twice"),
    (dict(pushes={"US-RU": 1.5}), r"push on US-RU must be a number in \[-1, 1\] per step; got 1.5"),
    (dict(target={"US-CN": 2, "US-RU": 1, "CN-RU": 1}), "US-CN sign must be one of -1, 0, 1"),
    (dict(title="  "), "Scenario.title must be a non-empty string"),
])
def test_scenario_rejects_bad_fields(kwargs, fragment):
    fields = dict(key="k", title="T", description="D", pushes={}, steps=5)
    fields.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        Scenario(**fields)


def test_bad_starts_are_named():
    with pytest.raises(ValueError, match="start must be a Triangle or a mapping"):
        simulate([0, 0, 0], "status-quo")
    with pytest.raises(ValueError, match="missing dyads CN-RU"):
        simulate({"US-CN": 0, "US-RU": 0}, "status-quo")
    with pytest.raises(ValueError, match=r"simulate_batch needs starts and pushes of shape \(N, 3\)"):
        simulate_batch(np.zeros((2, 3)), np.zeros((1, 3)), [DEFAULT_PARAMS] * 2, 3)
