"""TimelineExplorer: filter the events, read them with their sources, and see
the coded triangle of any year."""

from __future__ import annotations

import html
import json
from typing import Any, Iterable, Mapping, Sequence

import ipywidgets as widgets
import pandas as pd

from ..data import triangle_for_year
from ..model import ACTOR_NAMES, ACTORS, NEUTRAL_BAND, Analysis, analyse, summary, validate_band
from ..style import DYAD_LABELS
from ..scene import Scene
from .base import (Explorer, aligned_labels, count, readable, check_choices, check_int, check_int_range,
                   summary_html)
from .pictures import timeline_scene

__all__ = ["TimelineExplorer", "CATEGORY_ORDER", "filter_events", "events_html", "event_item_html",
           "events_filter_css"]

#: The schema's order; categories not listed here follow, sorted.
CATEGORY_ORDER = ("diplomacy", "military", "economy", "arms control", "border",
                  "strategy document", "commentary")
LINK_STYLE = "color:#0072B2;text-decoration:underline"
_EFFECT_COLUMNS = {"US-CN": "effect_us_cn", "US-RU": "effect_us_ru", "CN-RU": "effect_cn_ru"}


def filter_events(timeline: pd.DataFrame, years: tuple[int, int], actors: tuple[str, ...],
                  categories: tuple[str, ...]) -> pd.DataFrame:
    """Events that start within ``years`` (inclusive), whose category is ticked
    and whose actors are ALL among ``actors`` (so ticking only China and Russia
    leaves the Sino-Russian events)."""
    first, last = years
    allowed = set(actors)
    mask = (timeline["start_year"].between(first, last)
            & timeline["category"].isin(list(categories))
            & timeline["actors"].map(lambda a: bool(a) and set(a) <= allowed))
    return timeline.loc[mask]


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, (tuple, list)) and pd.isna(value)) else str(value)


def event_item_html(event: Any, sources_by_id: Mapping[str, Mapping[str, Any]]) -> str:
    """One event as an HTML list item: date, headline, actors, effects, linked sources."""
    effects = [f"{DYAD_LABELS[d]} {_text(getattr(event, c))}" for d, c in _EFFECT_COLUMNS.items()
               if _text(getattr(event, c))]
    links = []
    for source_id in event.source_ids:
        source = sources_by_id.get(source_id)
        if source is None:
            links.append(html.escape(source_id))
            continue
        detail = ", ".join(x for x in (_text(source.get("publisher")), _text(source.get("published"))) if x)
        # JupyterLab does not style links in widget HTML: colour and underline them here.
        links.append(f'<a href="{html.escape(_text(source.get("url")), quote=True)}" '
                     f'target="_blank" rel="noopener noreferrer" style="{LINK_STYLE}">'
                     f'{html.escape(_text(source.get("title")))}</a> ({html.escape(detail)})')
    return (f'<li data-event-id="{html.escape(event.event_id)}">'
            f"<strong>{html.escape(event.start_date)}</strong> · {html.escape(event.headline)}"
            f" <small>({html.escape(', '.join(event.actors))}; {html.escape(_text(event.category))})"
            f"</small><br/>{html.escape(_text(event.description))}<br/>"
            f"<small>effects: {html.escape('; '.join(effects) or 'none coded')}</small><br/>"
            f"<small>sources: {'; '.join(links) or 'none'}</small></li>")


def events_html(events: pd.DataFrame, sources_by_id: Mapping[str, Mapping[str, Any]],
                limit: int = 300, items: Mapping[str, str] | None = None) -> str:
    """An ordered list of events, each with its coded effects and linked sources.
    ``items`` may hold ready-made list items by event_id (a cache)."""
    if events.empty:
        return "<p><em>No event matches these filters.</em></p>"
    shown = events.head(limit)
    if items is not None and all(e in items for e in shown["event_id"]):
        rows = [items[e] for e in shown["event_id"]]
    else:
        rows = [event_item_html(event, sources_by_id) for event in shown.itertuples(index=False)]
    more = (f"<p><em>Showing the first {limit} of {len(events)} events.</em></p>"
            if len(events) > limit else "")
    return f'<ol class="timeline-event-list">{"".join(rows)}</ol>{more}'


def events_filter_css(scope: str, shown: Sequence[str], every: Sequence[str]) -> str:
    """A <style> that shows, in the list with class ``scope``, only the events ``shown``.

    The whole list travels once, when the explorer is built; a filter change sends only this
    rule (a few KiB at most), naming whichever is shorter: the events shown or those hidden."""
    shown_set = set(shown)
    hidden = [e for e in every if e not in shown_set]

    def selector(ids: Iterable[str]) -> str:
        return ",".join(f".{scope} li[data-event-id={json.dumps(str(i))}]" for i in ids)

    if not hidden:
        return ""
    if len(hidden) <= len(shown_set):
        return f"<style>{selector(hidden)}{{display:none}}</style>"
    rule = f".{scope} li[data-event-id]{{display:none}}"
    if shown_set:
        rule += f"{selector(e for e in every if e in shown_set)}{{display:list-item}}"
    return f"<style>{rule}</style>"


class TimelineExplorer(Explorer):
    """Events by date and category, filtered by years, actors and categories,
    with the kit's coded triangle for one chosen year.

    ``state`` is ``{"years": (first, last), "actors": (...), "categories": (...),
    "year": int}``.
    """

    widget_name = "TimelineExplorer"
    css_prefix = "timeline"

    def __init__(self, timeline: pd.DataFrame, sources: pd.DataFrame, relations: pd.DataFrame,
                 band: float = NEUTRAL_BAND, year: int | None = None) -> None:
        super().__init__()
        if timeline.empty or relations.empty:
            raise ValueError(f"{self.widget_name}: the timeline and the relations need at least one row")
        self.band = validate_band(band)
        self.timeline = timeline
        self.relations = relations
        self._sources = {row["source_id"]: row for row in sources.to_dict("records")}
        # Each event's list item is built once; filters only pick which to show.
        self._items = {e.event_id: event_item_html(e, self._sources)
                       for e in timeline.itertuples(index=False)}
        present = set(timeline["category"].astype(object))
        self.categories = [c for c in CATEGORY_ORDER if c in present] + sorted(present - set(CATEGORY_ORDER))
        self.coded_years = sorted(int(y) for y in relations["year"].unique())
        self._filtered: tuple = (None, None)
        self._listed = None
        first, last = int(timeline["start_year"].min()), int(timeline["start_year"].max())
        self.year_bounds = (first, last)

        self.years_slider = self._part(widgets.IntRangeSlider(
            value=(first, last), min=first, max=last, step=1, description="years shown",
            style=aligned_labels(130), layout=widgets.Layout(width="460px")), "years-slider")
        self._watch(self.years_slider, "the years slider")
        self.actor_boxes = {}
        for actor in ACTORS:
            box = widgets.Checkbox(value=True, description=f"{ACTOR_NAMES[actor]} ({actor})",
                                   indent=False, layout=widgets.Layout(width="auto"))
            self._part(box, f"actor-{actor.lower()}")
            self._watch(box, f"the {ACTOR_NAMES[actor]} box")
            self.actor_boxes[actor] = box
        self.category_boxes = {}
        for category in self.categories:
            box = widgets.Checkbox(value=True, description=category, indent=False,
                                   layout=widgets.Layout(width="auto"))
            self._part(box, f"category-{category.replace(' ', '-')}")
            self._watch(box, f"the {category} box")
            self.category_boxes[category] = box
        if year is None:
            year = 2019 if 2019 in self.coded_years else self.coded_years[-1]
        # A SelectionSlider offers only coded years, even if the coding has gaps.
        self.year_slider = self._part(widgets.SelectionSlider(
            options=self.coded_years, value=year, description="coded triangle for",
            style=aligned_labels(130),
            layout=widgets.Layout(width="460px")), "year-slider")
        self._watch(self.year_slider, "the year slider")
        self.summary_widget = self._part(widgets.HTML(), "summary")
        self.summary_widget.layout = widgets.Layout(max_width="900px")
        # The whole list, sent once; a filter change sends only events_status (a count and a
        # <style> that hides the events left out).
        self.events_widget = self._part(widgets.HTML(), "events")
        self._list_scope = f"timeline-list-{self.events_widget.model_id[:12]}"
        self.events_widget.add_class(self._list_scope)
        self.events_widget.value = readable(events_html(timeline, self._sources, limit=len(timeline),
                                                        items=self._items))
        self.events_status = self._part(widgets.HTML(), "events-status")
        self.events_widget.layout = widgets.Layout(max_height="320px", overflow="auto",
                                                   border="1px solid #ccc", padding="0 8px",
                                                   max_width="900px")

        self.picture.layout.max_width = "960px"
        actors_label = self._part(
            widgets.HTML("<strong>actors</strong> (events whose actors are all ticked)"), "actors-label")
        categories_label = self._part(widgets.HTML("<strong>categories</strong>"), "categories-label")
        category_row = widgets.HBox(list(self.category_boxes.values()),
                                    layout=widgets.Layout(flex_flow="row wrap", max_width="520px"))
        filters = widgets.HBox([
            widgets.VBox([actors_label, *self.actor_boxes.values()],
                         layout=widgets.Layout(margin="0 24px 0 0")),
            widgets.VBox([categories_label, category_row]),
        ])
        self.children = [self.years_slider, filters, self.year_slider, self.picture,
                         self.summary_widget, self.events_status, self.events_widget, self.error_output]
        self.refresh()

    # ---- reading

    @property
    def years(self) -> tuple[int, int]:
        first, last = self.years_slider.value
        return int(first), int(last)

    @property
    def actors(self) -> tuple[str, ...]:
        return tuple(a for a, box in self.actor_boxes.items() if box.value)

    @property
    def selected_categories(self) -> tuple[str, ...]:
        return tuple(c for c, box in self.category_boxes.items() if box.value)

    @property
    def selected_year(self) -> int:
        return int(self.year_slider.value)

    @property
    def filtered_events(self) -> pd.DataFrame:
        """The timeline rows the filters let through (shared: copy before changing it)."""
        key = (self.years, self.actors, self.selected_categories)
        if self._filtered[0] != key:  # one filter per change, however often it is read
            self._filtered = (key, filter_events(self.timeline, *key))
        return self._filtered[1]

    @property
    def analysis(self) -> Analysis:
        """The model's reading of the coded triangle for the selected year."""
        return analyse(triangle_for_year(self.relations, self.selected_year), self.band)

    @property
    def summary_text(self) -> str:
        first, last = self.years
        return (f"{count(len(self.filtered_events), 'event')} shown from {first} to {last}. "
                f"Coded triangle for {self.selected_year}: {summary(self.analysis)}")

    @property
    def state(self) -> dict[str, Any]:
        return {"years": self.years, "actors": self.actors,
                "categories": self.selected_categories, "year": self.selected_year}

    # ---- changing

    def _validate_state(self, values: Mapping[str, Any]) -> dict[str, Any]:
        name, out = self.widget_name, {}
        first, last = self.year_bounds
        if "years" in values:
            out["years"] = check_int_range(name, "the years slider (years)", values["years"], first, last)
        if "actors" in values:
            out["actors"] = check_choices(name, "the actor boxes (actors)", values["actors"], ACTORS)
        if "categories" in values:
            out["categories"] = check_choices(name, "the category boxes (categories)",
                                              values["categories"], self.categories)
        if "year" in values:
            out["year"] = check_int(name, "the year slider (year)", values["year"],
                                    self.coded_years[0], self.coded_years[-1])
            if out["year"] not in self.coded_years:
                raise ValueError(f"{name}: the year slider (year) must be a coded year from "
                                 f"{self.coded_years[0]} to {self.coded_years[-1]}; "
                                 f"{out['year']} has no coded relations")
        return out

    def _apply_state(self, checked: Mapping[str, Any]) -> None:
        if "years" in checked:
            self.years_slider.value = checked["years"]
        if "actors" in checked:
            for actor, box in self.actor_boxes.items():
                box.value = actor in checked["actors"]
        if "categories" in checked:
            for category, box in self.category_boxes.items():
                box.value = category in checked["categories"]
        if "year" in checked:
            self.year_slider.value = checked["year"]

    def _update(self) -> Scene:
        events = self.filtered_events
        year = self.selected_year
        analysis = analyse(triangle_for_year(self.relations, year), self.band)
        self.summary_widget.value = summary_html(f"Coded triangle for {year}.", summary(analysis))
        first, last = self.years
        if self._listed is not events:  # the list changes with the filters, not with the year
            self._listed = events
            heading = (f"<p><strong>{count(len(events), 'event')} from {first} to {last}</strong></p>"
                       if len(events) else "<p><em>No event matches these filters.</em></p>")
            self.events_status.value = readable(heading) + events_filter_css(
                self._list_scope, list(events["event_id"]), list(self.timeline["event_id"]))
        return timeline_scene(events, self.categories, self.years, year, analysis,
                              f"The timeline, {first} to {last}, and the coded triangle for {year}",
                              self.summary_text)
