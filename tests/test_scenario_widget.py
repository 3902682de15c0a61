"""ScenarioExplorer's controls, state and text for the options model (the drawing is
tested in tests/test_widgets.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from triangles import dynamics
from triangles.data import DATA_DIR
from triangles.model import Triangle
from triangles.widgets import ScenarioExplorer


@pytest.fixture(scope="module")
def relations():
    return pd.read_csv(DATA_DIR / "relations.csv")


@pytest.fixture
def explorer(relations):
    return ScenarioExplorer(relations, start_year=2019, scenario="us-wedge-toward-moscow")


def test_defaults_are_the_documented_parameters(explorer):
    state = explorer.state
    assert state["push"] == dynamics.DEFAULT_PUSH
    assert state["cohesion"] == dynamics.DEFAULT_PARAMS.cohesion
    assert state["steps"] == dynamics.DEFAULT_STEPS
    assert explorer.model_params == dynamics.DEFAULT_PARAMS


def test_push_and_cohesion_drive_the_run(explorer):
    start = Triangle(-0.5, -0.7, 0.8)
    explorer.set_state(push=0.25, cohesion=0.0)
    option = dynamics.SCENARIOS["us-wedge-toward-moscow"]
    expected = dynamics.simulate(start, option.scaled(0.25),
                                 params=dynamics.DEFAULT_PARAMS.with_(cohesion=0.0))
    assert explorer.path == expected
    assert explorer.scenario.pushes == {"US-CN": -0.125, "US-RU": 0.25, "CN-RU": 0.0}
    assert "It reaches that target." in explorer.summary_text
    explorer.set_state(cohesion=0.2)
    assert "It does not reach that target." in explorer.summary_text
    assert "no push up to 0.30 a step reaches it" in explorer.summary_text


def test_text_names_target_time_and_smallest_push(explorer):
    text = explorer.summary_text
    need = dynamics.minimal_push(Triangle(-0.5, -0.7, 0.8), "us-wedge-toward-moscow")
    assert "push 0.15 a step, China–Russia cohesion 0.05" in text
    assert "The option aims at a stable marriage, CN outcast (the US partner)." in text
    assert f"the smallest sustained push that reaches it in 40 steps is {need:.3f} a step" in text
    assert "since step" in text


def test_options_differ_in_the_widget_too(explorer):
    ends = set()
    for key in dynamics.OPTION_KEYS:
        explorer.set_state(scenario=key)
        ends.add(dynamics.outcome(explorer.path).label)
    assert len(ends) >= 3


def test_status_quo_has_no_target_and_ignores_the_push(explorer):
    explorer.set_state(scenario="status-quo", push=0.3)
    assert explorer.scenario.push_size == 0
    assert "aims at" not in explorer.summary_text
    assert "no push" in explorer.summary_text


def test_a_custom_option_keeps_its_own_push_at_first(relations):
    opening = dynamics.Scenario("opening", "Opening", "US-CN up.", {"US-CN": 0.1},
                                target={"US-CN": 1, "US-RU": -1, "CN-RU": -1})
    w = ScenarioExplorer(relations, scenarios={"opening": opening}, start_year=1969)
    assert w.state["push"] == 0.1
    assert w.path == dynamics.simulate(Triangle(-0.9, -0.5, -0.9), opening)


@pytest.mark.parametrize("values, fragment", [
    ({"push": 0.5}, r"the push slider \(push\) must be a number from 0 to 0.3; got 0.5"),
    ({"cohesion": -0.1}, r"the cohesion slider \(cohesion\) must be a number from 0 to 0.3"),
])
def test_bad_values_are_named(explorer, values, fragment):
    with pytest.raises(ValueError, match=fragment):
        explorer.set_state(**values)


def test_new_controls_carry_css_classes(explorer):
    assert "scenario-push-slider" in explorer.push_slider._dom_classes
    assert "scenario-cohesion-slider" in explorer.cohesion_slider._dom_classes


def test_explicit_params_keep_their_balance_unless_eta_is_given():
    from triangles.dynamics import DEFAULT_PARAMS
    from triangles.model import Triangle
    from triangles.widgets import ScenarioExplorer

    start = Triangle(0.5, -0.5, 0.5)
    assert ScenarioExplorer(start, params=DEFAULT_PARAMS.with_(balance=0.3)).params.balance == 0.3
    assert ScenarioExplorer(start, params=DEFAULT_PARAMS.with_(balance=0.3), eta=0.2).params.balance == 0.2
