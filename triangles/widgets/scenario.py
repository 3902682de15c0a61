"""ScenarioExplorer: run a what-if scenario from a coded year or a custom start."""

from __future__ import annotations

import html
from typing import Any, Mapping

import ipywidgets as widgets
import pandas as pd

from ..data import triangle_for_year
from ..dynamics import DEFAULT_ETA, SCENARIOS, Scenario, path_summary, simulate
from ..model import DYADS, NEUTRAL_BAND, Analysis, Triangle, analyse, summary, validate_band
from ..plotting import DYAD_LABELS, PathPlot, TriangleDiagram, side_by_side_regions
from .base import (LABEL_STYLE, MENU_KEYS_HINT, Explorer, ScoreSlider, aligned_labels, check_choice,
                   check_int, check_number, readable, summary_html)

__all__ = ["ScenarioExplorer", "CUSTOM", "MAX_WIDGET_STEPS"]

CUSTOM = "custom"
MAX_WIDGET_STEPS = 60  # enough to see any built-in scenario settle
_FIELD = {"US-CN": "us_cn", "US-RU": "us_ru", "CN-RU": "cn_ru"}


class ScenarioExplorer(Explorer):
    """Pick a scenario and a start (a coded year, or the sliders), and see the
    three relations step by step and the configuration at the end.

    ``state`` is ``{"scenario": key, "start_year": int or "custom", "steps": int,
    "us_cn": .., "us_ru": .., "cn_ru": ..}`` (the last three are the start).
    """

    widget_name = "ScenarioExplorer"
    css_prefix = "scenario"
    figsize = (8.6, 3.9)

    def __init__(self, start: pd.DataFrame | Triangle, scenarios: Mapping[str, Scenario] = SCENARIOS,
                 band: float = NEUTRAL_BAND, eta: float = DEFAULT_ETA, start_year: int | None = None,
                 scenario: str | None = None) -> None:
        super().__init__()
        self.band = validate_band(band)
        self.eta = eta
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
        self.description_widget = self._part(widgets.HTML(), "description")
        self.summary_widget = self._part(widgets.HTML(), "summary")
        self.summary_widget.layout = widgets.Layout(max_width="860px")

        grid = self.figure.add_gridspec(1, 2, width_ratios=(2.1, 1), left=0.08, right=0.99,
                                        bottom=0.13, top=0.80, wspace=0.06)
        self.path_plot = PathPlot(self.figure.add_subplot(grid[0, 0]), self.band)
        self.diagram = TriangleDiagram(self.figure.add_subplot(grid[0, 1]), band=self.band,
                                       compact=True)
        self.renderer.regions = side_by_side_regions(
            self.figure, {"path": self.path_plot.ax, "diagram": self.diagram.ax}, x_only={"path"})

        hint = self._part(widgets.HTML(f"<small>{html.escape(MENU_KEYS_HINT)}</small>"), "hint")
        left = widgets.VBox([self.scenario_dropdown, self.start_dropdown, hint,
                             *self.start_sliders.values()])
        right = widgets.VBox([self.steps_slider, self.description_widget],
                             layout=widgets.Layout(max_width="420px"))
        self.children = [widgets.HBox([left, right]), self.figure_output, self.summary_widget,
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
        return self.scenarios[self.scenario_dropdown.value]

    @property
    def start(self) -> Triangle:
        return Triangle(*(self.start_sliders[d].value for d in DYADS))

    @property
    def path(self) -> list[Triangle]:
        return simulate(self.start, self.scenario, steps=self.steps_slider.value, eta=self.eta)

    @property
    def final_analysis(self) -> Analysis:
        return analyse(self.path[-1], self.band)

    @property
    def summary_text(self) -> str:
        return self._summary(self.path)

    def _summary(self, path: list[Triangle]) -> str:
        start = self.start_dropdown.value
        origin = f"from the coded relations of {start}" if start != CUSTOM else "from a custom start"
        return (f"Scenario “{self.scenario.title}”, {origin}. {path_summary(path, self.band)} "
                f"At the end: {summary(analyse(path[-1], self.band))}")

    @property
    def state(self) -> dict[str, Any]:
        return {"scenario": self.scenario_dropdown.value, "start_year": self.start_dropdown.value,
                "steps": self.steps_slider.value,
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
        if "start_year" in checked:
            self.start_dropdown.value = checked["start_year"]
            self._load_start_year({"new": checked["start_year"]})
        custom = {f: v for f, v in checked.items() if f in _FIELD.values()}
        if custom and checked.get("start_year", CUSTOM) == CUSTOM:
            self.start_dropdown.value = CUSTOM
            for dyad, field in _FIELD.items():
                if field in custom:
                    self.start_sliders[dyad].value = custom[field]

    def _dynamic_artists(self) -> list:
        return [*self.path_plot.dynamic_artists, *self.diagram.dynamic_artists]

    def _layout_key(self) -> object:
        return {"path": self.steps_slider.value, "diagram": None}  # steps set the x limits

    def _update(self) -> None:
        path = self.path
        final = analyse(path[-1], self.band)
        self.path_plot.update(path)
        self.diagram.update(final)
        self.diagram.title.set_text(f"after {len(path) - 1} steps\n{self.diagram.title.get_text()}")
        self.description_widget.value = readable(
            f"<p>{html.escape(self.scenario.description)}</p>"
            "<p><em>A teaching model, not a forecast.</em></p>")
        self.summary_widget.value = summary_html("Result:", self._summary(path))
