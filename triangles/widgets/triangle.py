"""TriangleExplorer: three sliders, historical presets, the diagram and its summary."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import ipywidgets as widgets
import pandas as pd

from ..data import triangle_for_year
from ..model import DYADS, NEUTRAL_BAND, Analysis, Triangle, analyse, summary, validate_band
from ..style import DYAD_LABELS
from ..scene import Scene
from .base import (Explorer, ScoreSlider, aligned_labels, check_choice, check_number, controls_box,
                   picture_row, readable, summary_html)
from .pictures import triangle_scene

__all__ = ["TriangleExplorer", "DEFAULT_PRESET_YEARS"]

#: Turning points a student should be able to load with one click.
DEFAULT_PRESET_YEARS = (1950, 1969, 1972, 1989, 2001, 2019, 2022)
_FIELD = {"US-CN": "us_cn", "US-RU": "us_ru", "CN-RU": "cn_ru"}


class TriangleExplorer(Explorer):
    """Set the three relations with sliders (or load a historical year) and see
    the configuration, each actor's role and structural balance.

    ``state`` is ``{"us_cn": .., "us_ru": .., "cn_ru": ..}``; ``set_state``
    takes the same keys.  ``apply_preset(year)`` loads a coded year.
    """

    widget_name = "TriangleExplorer"
    css_prefix = "triangle"

    def __init__(self, relations: pd.DataFrame, years: Sequence[int] | None = None,
                 band: float = NEUTRAL_BAND, start_year: int | None = None) -> None:
        super().__init__()
        try:
            self.band = validate_band(band)
        except ValueError as exc:
            raise ValueError(f"{self.widget_name}: band: {exc}") from None
        self.relations = relations
        self.preset_years = _preset_years(relations, years, self.widget_name)
        self._presets = {y: triangle_for_year(relations, y) for y in self.preset_years}
        if start_year is None:
            start_year = self.preset_years[-1] if self.preset_years else None
        elif start_year not in set(relations["year"]):
            raise ValueError(f"{self.widget_name}: start_year {start_year!r} has no coded relations")
        start = (triangle_for_year(relations, start_year) if start_year is not None
                 else Triangle(0.0, 0.0, 0.0))

        self.sliders: dict[str, widgets.FloatSlider] = {}
        for dyad in DYADS:
            slider = ScoreSlider(
                value=start.as_dict()[dyad], min=-1.0, max=1.0, step=0.05,
                description=DYAD_LABELS[dyad], readout_format="+.2f", style=aligned_labels(95),
                layout=widgets.Layout(width="330px"))
            self._part(slider, f"{dyad.lower()}-slider")
            self._watch(slider, f"the {DYAD_LABELS[dyad]} slider")
            self.sliders[dyad] = slider
        self.preset_buttons: dict[int, widgets.Button] = {}
        for year in self.preset_years:
            button = widgets.Button(description=str(year),
                                    tooltip=f"Load the coded relations of {year}",
                                    layout=widgets.Layout(width="auto"))
            self._part(button, f"preset-{year}")
            self._part(button, "preset")
            self._on_click(button, f"the {year} preset", lambda y=year: self.apply_preset(y))
            self.preset_buttons[year] = button
        self.summary_widget = self._part(widgets.HTML(), "summary")
        self.summary_widget.layout = widgets.Layout(max_width="760px")

        help_text = self._part(widgets.HTML(readable(
            "<p>Drag a slider, or click it and use the arrow keys. "
            "Scores run from −1 (enmity) to +1 (amity).</p>")), "help")
        presets = widgets.VBox([
            self._part(widgets.HTML("<p><strong>Historical years</strong> (coded in the kit's "
                                    "data):</p>"), "presets-label"),
            widgets.HBox(list(self.preset_buttons.values()),
                         layout=widgets.Layout(flex_flow="row wrap", max_width="340px")),
        ])
        controls = controls_box([help_text, *self.sliders.values(), presets], 350)
        self.picture.layout.max_width = "560px"
        self.children = [picture_row(controls, self.picture), self.summary_widget, self.error_output]
        self.refresh()

    # ---- reading

    @property
    def triangle(self) -> Triangle:
        return Triangle(*(self.sliders[d].value for d in DYADS))

    @property
    def analysis(self) -> Analysis:
        return analyse(self.triangle, self.band)

    @property
    def summary_text(self) -> str:
        return summary(self.analysis)

    @property
    def preset_year(self) -> int | None:
        """The historical year whose coded relations the sliders show, if any."""
        current = self.triangle
        return next((y for y, t in self._presets.items() if t == current), None)

    @property
    def state(self) -> dict[str, Any]:
        return {_FIELD[d]: self.sliders[d].value for d in DYADS}

    # ---- changing

    def apply_preset(self, year: int) -> None:
        """Set the three sliders to the coded relations of ``year``, redraw once."""
        check_choice(self.widget_name, "preset year", year, self.preset_years)
        values = self._presets[year].as_dict()
        with self.hold():
            for dyad in DYADS:
                self.sliders[dyad].value = values[dyad]

    def _validate_state(self, values: Mapping[str, Any]) -> dict[str, Any]:
        labels = {f: DYAD_LABELS[d] for d, f in _FIELD.items()}
        return {key: check_number(self.widget_name, f"the {labels[key]} slider ({key})", v, -1, 1)
                for key, v in values.items()}

    def _apply_state(self, checked: Mapping[str, Any]) -> None:
        for dyad, field in _FIELD.items():
            if field in checked:
                self.sliders[dyad].value = checked[field]

    def _update(self) -> Scene:
        analysis = self.analysis
        year = self.preset_year
        heading = f"{year} (coded relations)." if year is not None else "Your triangle."
        text = summary(analysis)
        self.summary_widget.value = summary_html(heading, text)
        return triangle_scene(analysis, f"The triangle: {heading}", text, year)


def _preset_years(relations: pd.DataFrame, years: Sequence[int] | None, widget: str) -> list[int]:
    available = set(int(y) for y in relations["year"].unique()) if len(relations) else set()
    if years is None:
        # The defaults are a teaching choice: keep those the data codes.
        return [y for y in DEFAULT_PRESET_YEARS if y in available]
    missing = [y for y in years if y not in available]
    if missing:
        span = f"{min(available)}-{max(available)}" if available else "no years at all"
        raise ValueError(f"{widget}: preset years {missing} have no coded relations; "
                         f"the relations table covers {span}")
    return sorted(set(int(y) for y in years))
