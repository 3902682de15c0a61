"""ScenarioExplorer: run a US policy option from a coded year or a custom start, at a chosen
push size and China–Russia cohesion, and read where it ends and what it would take."""

from __future__ import annotations

import html
from typing import Any, Mapping

import ipywidgets as widgets
import pandas as pd

from ..data import triangle_for_year
from ..dynamics import (DEFAULT_PARAMS, DEFAULT_PUSH, MAX_PUSH, ModelParams, Scenario,
                        SCENARIOS, minimal_push, outcome, params_with_eta, path_summary, simulate, state_label)
from ..model import (DYADS, NEUTRAL_BAND, Analysis, Configuration, Triangle, analyse, role_of, summary,
                     validate_band)
from ..style import DYAD_LABELS
from ..scene import Scene
from .base import (LABEL_STYLE, MENU_KEYS_HINT, Explorer, ScoreSlider, aligned_labels, check_choice,
                   check_int, check_number, readable, summary_html)
from .pictures import path_scene

__all__ = ["ScenarioExplorer", "CUSTOM", "MAX_WIDGET_STEPS"]

CUSTOM = "custom"
MAX_WIDGET_STEPS = 60  # enough to see any built-in scenario settle
_FIELD = {"US-CN": "us_cn", "US-RU": "us_ru", "CN-RU": "cn_ru"}
MAX_WIDGET_COHESION = 0.3  # well past the value at which no push splits the 2019 partners


class ScenarioExplorer(Explorer):
    """Pick an option (scenario), a start (a coded year, or the sliders), the push
    per step and China–Russia cohesion; see the three relations step by step, where
    the run ends, when it got there, and the smallest push that reaches the option's
    target from this start (triangles.dynamics).

    ``state`` is ``{"scenario": key, "start_year": int or "custom", "steps": int,
    "push": float, "cohesion": float, "us_cn": .., "us_ru": .., "cn_ru": ..}``
    (the last three are the start).
    """

    widget_name = "ScenarioExplorer"
    css_prefix = "scenario"

    def __init__(self, start: pd.DataFrame | Triangle, scenarios: Mapping[str, Scenario] = SCENARIOS,
                 band: float = NEUTRAL_BAND, eta: float | None = None, start_year: int | None = None,
                 scenario: str | None = None, params: ModelParams = DEFAULT_PARAMS) -> None:
        super().__init__()
        self.band = validate_band(band)
        # eta (the balance weight) overrides params.balance only when given
        self.params = params_with_eta(params, eta)
        if not scenarios:
            raise ValueError(f"{self.widget_name}: scenarios must hold at least one Scenario")
        self.scenarios = dict(scenarios)
        if isinstance(start, Triangle):
            self.relations, self.coded_years, first = None, [], start
            start_year = CUSTOM
        elif isinstance(start, pd.DataFrame) and not start.empty:
            self.relations = start
            self.coded_years = sorted(int(y) for y in start["year"].unique())
            if start_year is None:
                start_year = 2019 if 2019 in self.coded_years else self.coded_years[-1]
            check_choice(self.widget_name, "start_year", start_year, [*self.coded_years, CUSTOM])
            first = (triangle_for_year(start, start_year) if start_year != CUSTOM
                     else Triangle(0.0, 0.0, 0.0))
        else:
            raise ValueError(f"{self.widget_name}: start must be a relations DataFrame (with rows) "
                             f"or a Triangle; got {type(start).__name__}")
        if scenario is None:
            scenario = next(iter(self.scenarios))
        check_choice(self.widget_name, "scenario", scenario, self.scenarios)

        self.scenario_dropdown = self._part(widgets.Dropdown(
            options=[(s.title, key) for key, s in self.scenarios.items()], value=scenario,
            description="scenario", style=LABEL_STYLE, layout=widgets.Layout(width="520px")),
            "scenario-dropdown")
        self._watch(self.scenario_dropdown, "the scenario menu")
        self.start_dropdown = self._part(widgets.Dropdown(
            options=[("custom (the sliders below)", CUSTOM)] + [(str(y), y) for y in self.coded_years],
            value=start_year, description="start from", style=LABEL_STYLE,
            layout=widgets.Layout(width="300px")), "start-dropdown")
        self._watch(self.start_dropdown, "the start menu", before=self._load_start_year)
        self.start_sliders: dict[str, widgets.FloatSlider] = {}
        for dyad in DYADS:
            slider = ScoreSlider(
                value=first.as_dict()[dyad], min=-1.0, max=1.0, step=0.05,
                description=f"start {DYAD_LABELS[dyad]}", readout_format="+.2f",
                style=aligned_labels(130), layout=widgets.Layout(width="400px"))
            self._part(slider, f"start-{dyad.lower()}-slider")
            self._watch(slider, f"the start {DYAD_LABELS[dyad]} slider", before=self._go_custom)
            self.start_sliders[dyad] = slider
        default_steps = min(self.scenarios[scenario].steps, MAX_WIDGET_STEPS)
        self.steps_slider = self._part(widgets.IntSlider(
            value=max(default_steps, 1), min=1, max=MAX_WIDGET_STEPS, step=1, description="steps",
            style=LABEL_STYLE, layout=widgets.Layout(width="360px")), "steps-slider")
        self._watch(self.steps_slider, "the steps slider")
        first_push = self.scenarios[scenario].push_size
        self.push_slider = self._part(widgets.FloatSlider(
            value=min(first_push, MAX_PUSH) if first_push else DEFAULT_PUSH, min=0.0, max=MAX_PUSH,
            step=0.01, description="push per step", readout_format=".2f",
            style=aligned_labels(170), layout=widgets.Layout(width="400px")), "push-slider")
        self._watch(self.push_slider, "the push slider")
        self.cohesion_slider = self._part(widgets.FloatSlider(
            value=self.params.cohesion, min=0.0, max=MAX_WIDGET_COHESION, step=0.01,
            description="China–Russia cohesion", readout_format=".2f",
            style=aligned_labels(170), layout=widgets.Layout(width="400px")), "cohesion-slider")
        self._watch(self.cohesion_slider, "the cohesion slider")
        self.description_widget = self._part(widgets.HTML(), "description")
        self.summary_widget = self._part(widgets.HTML(), "summary")
        self.summary_widget.layout = widgets.Layout(max_width="860px")

        self.picture.layout.max_width = "860px"
        hint = self._part(widgets.HTML(f"<small>{html.escape(MENU_KEYS_HINT)}</small>"), "hint")
        left = widgets.VBox([self.scenario_dropdown, self.start_dropdown, hint,
                             *self.start_sliders.values()])
        right = widgets.VBox([self.steps_slider, self.push_slider, self.cohesion_slider,
                              self.description_widget],
                             layout=widgets.Layout(max_width="420px"))
        self.children = [widgets.HBox([left, right], layout=widgets.Layout(flex_flow="row wrap")),
                         self.picture, self.summary_widget,
                         self.error_output]
        self.refresh()

    # ---- control coupling

    def _load_start_year(self, change: dict) -> None:
        """A coded year was picked: show its relations on the start sliders."""
        if change["new"] != CUSTOM:
            values = triangle_for_year(self.relations, change["new"]).as_dict()
            for dyad, slider in self.start_sliders.items():
                slider.value = values[dyad]

    def _go_custom(self, change: dict) -> None:
        """A start slider was moved by hand: the start is no longer a coded year."""
        self.start_dropdown.value = CUSTOM

    # ---- reading

    @property
    def scenario(self) -> Scenario:
        """The chosen option at the push slider's size (an option without a push as it is)."""
        chosen = self.scenarios[self.scenario_dropdown.value]
        return chosen.scaled(self.push_slider.value) if chosen.push_size else chosen

    @property
    def model_params(self) -> ModelParams:
        return self.params.with_(cohesion=self.cohesion_slider.value)

    @property
    def start(self) -> Triangle:
        return Triangle(*(self.start_sliders[d].value for d in DYADS))

    @property
    def path(self) -> list[Triangle]:
        return simulate(self.start, self.scenario, steps=self.steps_slider.value,
                        params=self.model_params)

    @property
    def final_analysis(self) -> Analysis:
        return analyse(self.path[-1], self.band)

    @property
    def summary_text(self) -> str:
        return self._summary(self.path)

    def _summary(self, path: list[Triangle]) -> str:
        start = self.start_dropdown.value
        origin = f"from the coded relations of {start}" if start != CUSTOM else "from a custom start"
        sc = self.scenario
        push = (f"push {self.push_slider.value:.2f} a step" if sc.push_size
                else "no push")
        head = (f"Scenario “{sc.title}”, {origin}, {push}, China–Russia cohesion "
                f"{self.cohesion_slider.value:.2f}.")
        return (f"{head} {path_summary(path, self.band)} "
                f"At the end: {summary(analyse(path[-1], self.band))} {self._option_text(path)}")

    def _option_text(self, path: list[Triangle]) -> str:
        """Where the run ends against the option's target, and the smallest push that reaches it."""
        sc = self.scenario
        end = outcome(path, sc.target, self.band)
        settled = (f"It has been a {end.label} since step {end.settled_at}."
                   if end.configuration is not Configuration.UNDETERMINED
                   else f"It has been undetermined since step {end.settled_at}.")
        if sc.target is None:
            return settled
        aim = (f"The option aims at a {state_label(sc.target)} "
               f"(the US {role_of(sc.target, 'US').value}).")
        verdict = "It reaches that target." if end.reached else "It does not reach that target."
        if not sc.push_size:
            return f"{settled} {aim} {verdict}"
        need = minimal_push(self.start, sc, self.model_params, len(path) - 1, self.band)
        cost = (f"From this start, the smallest sustained push that reaches it in {len(path) - 1} "
                f"steps is {need:.3f} a step." if need is not None else
                f"From this start, no push up to {MAX_PUSH:.2f} a step reaches it in "
                f"{len(path) - 1} steps.")
        return f"{settled} {aim} {verdict} {cost}"

    @property
    def state(self) -> dict[str, Any]:
        return {"scenario": self.scenario_dropdown.value, "start_year": self.start_dropdown.value,
                "steps": self.steps_slider.value, "push": self.push_slider.value,
                "cohesion": self.cohesion_slider.value,
                **{_FIELD[d]: self.start_sliders[d].value for d in DYADS}}

    # ---- changing

    def _validate_state(self, values: Mapping[str, Any]) -> dict[str, Any]:
        name, out = self.widget_name, {}
        if "scenario" in values:
            out["scenario"] = check_choice(name, "the scenario menu (scenario)", values["scenario"],
                                           self.scenarios)
        if "start_year" in values:
            out["start_year"] = check_choice(name, "the start menu (start_year)",
                                             values["start_year"], [CUSTOM, *self.coded_years])
        if "steps" in values:
            out["steps"] = check_int(name, "the steps slider (steps)", values["steps"], 1,
                                     MAX_WIDGET_STEPS)
        if "push" in values:
            out["push"] = check_number(name, "the push slider (push)", values["push"], 0, MAX_PUSH)
        if "cohesion" in values:
            out["cohesion"] = check_number(name, "the cohesion slider (cohesion)", values["cohesion"],
                                           0, MAX_WIDGET_COHESION)
        for dyad, field in _FIELD.items():
            if field in values:
                out[field] = check_number(name, f"the start {DYAD_LABELS[dyad]} slider ({field})",
                                          values[field], -1, 1)
        year = out.get("start_year", CUSTOM)
        if year != CUSTOM and any(f in out for f in _FIELD.values()):
            coded = triangle_for_year(self.relations, year).as_dict()
            # Scores that equal the year's coded ones are consistent (e.g. a saved state).
            if any(out[f] != coded[d] for d, f in _FIELD.items() if f in out):
                raise ValueError(f"{name}: give either start_year (a coded year) or custom start "
                                 f"scores (us_cn, us_ru, cn_ru) with start_year='custom', not both")
        return out

    def _apply_state(self, checked: Mapping[str, Any]) -> None:
        if "scenario" in checked:
            self.scenario_dropdown.value = checked["scenario"]
        if "steps" in checked:
            self.steps_slider.value = checked["steps"]
        if "push" in checked:
            self.push_slider.value = checked["push"]
        if "cohesion" in checked:
            self.cohesion_slider.value = checked["cohesion"]
        if "start_year" in checked:
            self.start_dropdown.value = checked["start_year"]
            self._load_start_year({"new": checked["start_year"]})
        custom = {f: v for f, v in checked.items() if f in _FIELD.values()}
        if custom and checked.get("start_year", CUSTOM) == CUSTOM:
            self.start_dropdown.value = CUSTOM
            for dyad, field in _FIELD.items():
                if field in custom:
                    self.start_sliders[dyad].value = custom[field]

    def _update(self) -> Scene:
        path = self.path
        final = analyse(path[-1], self.band)
        self.description_widget.value = readable(
            f"<p>{html.escape(self.scenario.description)}</p>"
            "<p><em>A teaching model, not a forecast.</em></p>")
        text = self._summary(path)
        self.summary_widget.value = summary_html("Result:", text)
        return path_scene(path, self.band, final, f"Scenario “{self.scenario.title}”", text)
