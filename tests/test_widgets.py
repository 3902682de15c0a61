"""The explorer widgets, driven from code: values in, summary text, picture data and errors out.

Each explorer's picture is a scene (``triangles.scene``): the tests read what it draws from the
scene, and check that the SVG sent to the browser and the static matplotlib picture both show
exactly the scene's elements.  Most tests use small in-memory tables so they do not depend on the
kit's data; a few at the end build the explorers from the real data.  No wall-clock checks.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from PIL import Image

import ipywidgets as widgets

from triangles import dynamics, model, plotting, scene_figure, svg
from triangles.scene import Line, Marker, Rect, Text
from triangles.model import Triangle, analyse, summary
from triangles.plotting import DYAD_STYLES, SIGN_STYLES
from triangles.widgets import EvidenceExplorer, ScenarioExplorer, TimelineExplorer, TriangleExplorer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- small tables


def _relations(rows: dict[int, tuple[float, float, float]]) -> pd.DataFrame:
    records = [
        {"year": year, "dyad": dyad, "score": score, "rationale": pd.NA, "event_ids": ()}
        for year, scores in rows.items()
        for dyad, score in zip(model.DYADS, scores)
    ]
    frame = pd.DataFrame(records)
    frame["dyad"] = frame["dyad"].astype("string")
    return frame


RELATIONS_ROWS = {
    1950: (-0.8, -0.7, 0.9),   # stable marriage, US the outcast
    1969: (-0.6, -0.4, -0.8),  # unit veto
    1972: (0.3, -0.3, -0.7),   # stable marriage, RU the outcast
    1989: (0.4, 0.4, 0.3),     # menage a trois
    2019: (-0.5, -0.7, 0.8),
    2020: (-0.6, -0.7, 0.85),
}


@pytest.fixture
def relations() -> pd.DataFrame:
    return _relations(RELATIONS_ROWS)


def _event(event_id, start_date, precision, actors, category, effects, sources, headline=None):
    year = int(start_date[:4])
    parts = start_date.split("-") + ["01", "01"]
    start = pd.Timestamp(year=year, month=int(parts[1]), day=int(parts[2]))
    row = {
        "event_id": event_id, "start_date": start_date, "date_precision": precision,
        "start": start, "start_year": year, "end_date": pd.NaT,
        "headline": headline or event_id.replace("-", " "),
        "description": f"What happened in {event_id}.", "actors": tuple(actors),
        "category": category, "article_paragraph": pd.NA, "source_ids": tuple(sources),
        "note": pd.NA,
    }
    for dyad, column in (("US-CN", "effect_us_cn"), ("US-RU", "effect_us_ru"), ("CN-RU", "effect_cn_ru")):
        row[column] = effects.get(dyad, pd.NA)
    row["dyads"] = tuple(d for d in model.DYADS if d in effects)
    return row


@pytest.fixture
def timeline() -> pd.DataFrame:
    rows = [
        _event("1950-sino-soviet-treaty", "1950-02-14", "day", ["CN", "RU"], "diplomacy",
               {"CN-RU": "warming"}, ["src-a"]),
        _event("1969-border-clash", "1969-03", "month", ["CN", "RU"], "border",
               {"CN-RU": "cooling"}, ["src-b"]),
        _event("1972-nixon-visit", "1972-02-21", "day", ["US", "CN"], "diplomacy",
               {"US-CN": "warming", "US-RU": "neutral"}, ["src-a", "src-c"]),
        _event("1987-inf-treaty", "1987", "year", ["US", "RU"], "arms control",
               {"US-RU": "warming"}, ["src-c"]),
        _event("2019-new-era", "2019-06-05", "day", ["CN", "RU"], "diplomacy",
               {"CN-RU": "warming"}, ["src-b"]),
        _event("2019-us-inf-exit", "2019-08-02", "day", ["US"], "arms control",
               {"US-RU": "cooling"}, ["src-c"]),
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def sources() -> pd.DataFrame:
    return pd.DataFrame([
        {"source_id": "src-a", "publisher": "Archive A", "title": "Treaty texts & more",
         "url": "https://example.org/a?x=1&y=2", "published": "2001", "kind": "reference"},
        {"source_id": "src-b", "publisher": "Agency B", "title": "Border report",
         "url": "https://example.org/b", "published": pd.NA, "kind": "news"},
        {"source_id": "src-c", "publisher": "Office C", "title": "Arms control record",
         "url": "https://example.org/c", "published": "2019-08", "kind": "official"},
    ])


@pytest.fixture
def indicators() -> pd.DataFrame:
    rows = []
    for year, us, ru, cn in ((2019, 6185, 6500, 290), (2020, 5800, 6375, 320), (2021, 5550, 6257, 350)):
        for subject, value in (("US", us), ("RU", ru), ("CN", cn)):
            rows.append({"indicator": "nuclear_warheads_inventory", "subject": subject, "year": year,
                         "value": float(value), "unit": "warheads", "source_id": "src-c", "note": pd.NA})
    for year, value in ((2000, 8.0), (2010, 55.5), (2019, 110.8)):
        rows.append({"indicator": "trade_goods_total", "subject": "CN-RU", "year": year,
                     "value": value, "unit": "USD billion (current)", "source_id": "src-b", "note": pd.NA})
    return pd.DataFrame(rows)


@pytest.fixture
def claims() -> pd.DataFrame:
    return pd.DataFrame([
        {"claim_id": "C01", "paragraph_id": "P1", "quote": "China and Russia upgraded their ties.",
         "claim_type": "fact", "event_ids": ("2019-new-era",), "indicators": (),
         "outcome": pd.NA, "outcome_event_ids": (), "note": pd.NA},
        {"claim_id": "C02", "paragraph_id": "P4",
         "quote": "Russia boasts a nuclear arsenal comparable with that of the US, a very long quote "
                  "that needs shortening in the menu",
         "claim_type": "fact", "event_ids": ("1987-inf-treaty",),
         "indicators": ("nuclear_warheads_inventory:US", "nuclear_warheads_inventory:RU",
                        "trade_goods_total:CN-RU"),
         "outcome": pd.NA, "outcome_event_ids": (), "note": "Compare inventories."},
        {"claim_id": "C03", "paragraph_id": "P3", "quote": "The US will fail to split them.",
         "claim_type": "prediction", "event_ids": ("1972-nixon-visit",), "indicators": (),
         "outcome": "They stayed aligned.", "outcome_event_ids": ("2019-new-era", "2019-us-inf-exit"),
         "note": pd.NA},
    ])


@pytest.fixture
def triangle_explorer(relations) -> TriangleExplorer:
    return TriangleExplorer(relations)


@pytest.fixture
def timeline_explorer(timeline, sources, relations) -> TimelineExplorer:
    return TimelineExplorer(timeline, sources, relations)


@pytest.fixture
def scenario_explorer(relations) -> ScenarioExplorer:
    return ScenarioExplorer(relations)


@pytest.fixture
def evidence_explorer(claims, indicators, timeline, sources) -> EvidenceExplorer:
    return EvidenceExplorer(claims, indicators, timeline, sources)


ALL_EXPLORERS = ["triangle_explorer", "timeline_explorer", "scenario_explorer", "evidence_explorer"]

# One valid change per explorer, alternating between two values, to drive repeated updates.
CHANGES = {
    "triangle_explorer": [{"us_cn": 0.5}, {"us_cn": -0.5}],
    "timeline_explorer": [{"year": 1972}, {"year": 1950}],
    "scenario_explorer": [{"steps": 5}, {"steps": 12}],
    "evidence_explorer": [{"claim": "C02"}, {"claim": "C03"}],
}


def _png_image(explorer) -> Image.Image:
    return Image.open(io.BytesIO(explorer.figure_png))


def _shown_svg(explorer) -> str:
    """What the browser is sent: the picture widget's value."""
    return explorer.picture.value


def _data_state(explorer) -> dict:
    return json.loads(ET.fromstring(_shown_svg(explorer)).get("data-state"))


def _edge(w, dyad: str) -> Line:
    (edge,) = w.scene.find("edge", dyad)
    return edge


# ---------------------------------------------------------------- TriangleExplorer


def test_triangle_starts_at_the_latest_preset_and_summarises_it(triangle_explorer):
    w = triangle_explorer
    assert w.preset_years == [1950, 1969, 1972, 1989, 2019]  # 2001 and 2022 are not coded here
    assert w.triangle == Triangle(-0.5, -0.7, 0.8)
    assert w.summary_text == summary(analyse(Triangle(-0.5, -0.7, 0.8)))
    assert w.analysis.configuration is model.Configuration.STABLE_MARRIAGE
    assert "2019 (coded relations)." in w.summary_widget.value


@pytest.mark.parametrize("score, sign", [(0.55, 1), (-0.55, -1), (0.1, 0), (-0.15, 0), (0.2, 1)])
def test_edge_colour_and_line_style_follow_the_sign(triangle_explorer, score, sign):
    w = triangle_explorer
    w.sliders["US-CN"].value = score
    edge = _edge(w, "US-CN")
    style = SIGN_STYLES[sign]
    assert (edge.color, edge.style) == (style.color, style.linestyle)
    assert w.scene.texts("edge-label", "US-CN")[-1].endswith(style.label)
    assert w.analysis.signs.us_cn == sign


def test_sign_styles_differ_in_colour_and_line_style():
    colours = {s.color for s in SIGN_STYLES.values()}
    dashes = {s.linestyle for s in SIGN_STYLES.values()}
    assert len(colours) == 3 and len(dashes) == 3
    assert SIGN_STYLES[1].linestyle == "-" and SIGN_STYLES[-1].linestyle == "--"
    assert SIGN_STYLES[0].linestyle == ":"
    assert colours <= set(plotting.OKABE_ITO.values())


def test_role_labels_and_title_follow_the_classification(triangle_explorer):
    w = triangle_explorer
    w.set_state(us_cn=0.6, us_ru=0.6, cn_ru=-0.6)  # romantic triangle, the US the pivot
    analysis = w.analysis
    assert analysis.configuration is model.Configuration.ROMANTIC
    shown = {a: w.scene.texts("role", a) for a in model.ACTORS}
    assert shown == {"US": ["pivot"], "CN": ["wing"], "RU": ["wing"]}
    assert "romantic triangle" in w.scene.texts("title")[0]
    w.set_state(cn_ru=0.0)
    assert {t for a in model.ACTORS for t in w.scene.texts("role", a)} == {"no role"}
    assert "undetermined" in w.summary_text


def test_presets_load_the_coded_year_by_method_and_by_click(triangle_explorer):
    w = triangle_explorer
    w.apply_preset(1972)
    assert w.state == {"us_cn": 0.3, "us_ru": -0.3, "cn_ru": -0.7}
    assert w.preset_year == 1972
    assert w.scene.texts("title")[0].startswith("1972: stable marriage")
    assert w.analysis.roles["RU"] is model.Role.OUTCAST
    w.preset_buttons[1989].click()
    assert w.triangle == Triangle(0.4, 0.4, 0.3)
    assert w.analysis.configuration is model.Configuration.MENAGE_A_TROIS
    assert "1989 (coded relations)." in w.summary_widget.value
    w.sliders["CN-RU"].value = -0.5
    assert w.preset_year is None
    assert "Your triangle." in w.summary_widget.value


def test_float_noise_from_the_browser_does_not_move_a_score_across_the_band(triangle_explorer):
    w = triangle_explorer
    w.apply_preset(1972)  # US-CN is +0.30 here; put it exactly on the band
    w.set_state(us_cn=0.2)
    # The browser's slider snaps to its step and echoes the value back computed in floats.
    w.sliders["US-CN"].set_state({"value": 0.19999999999999996})
    assert w.sliders["US-CN"].value == 0.2
    assert w.analysis.signs.us_cn == 1
    assert _data_state(w)["us_cn"] == 0.2
    assert w.scene.texts("edge-label", "US-CN") == ["+0.20 amity"]


def test_a_noisy_value_from_the_browser_is_not_sent_back(triangle_explorer, monkeypatch):
    # Sending the rounded value back would be an "update" the browser applies even after the hand
    # moved on: a quick drag would snap back to a value it passed.
    slider = triangle_explorer.sliders["US-CN"]
    sent = []
    monkeypatch.setattr(slider, "_send", lambda msg, buffers=None: sent.append(msg))
    _browser_update(slider, 0.19999999999999996)
    assert slider.value == 0.2
    assert [m for m in sent if m["method"] == "update" and "value" in m["state"]] == []
    slider.value = 0.45  # a change made in the kernel is still sent
    assert [m["state"]["value"] for m in sent if m["method"] == "update"] == [0.45]


def test_a_preset_redraws_once_not_three_times(triangle_explorer):
    before = triangle_explorer.redraw_count
    triangle_explorer.apply_preset(1950)
    assert triangle_explorer.redraw_count == before + 1


def test_preset_and_state_validation_messages(triangle_explorer, relations):
    w = triangle_explorer
    with pytest.raises(ValueError, match=r"TriangleExplorer: preset year must be one of .*1972.*got 1999"):
        w.apply_preset(1999)
    with pytest.raises(ValueError, match=r"TriangleExplorer: the US–China slider \(us_cn\) must be a "
                                         r"number from -1 to 1; got 1\.5"):
        w.set_state(us_cn=1.5)
    for bad in (float("nan"), float("inf"), True, "0.5", None):
        with pytest.raises(ValueError, match="TriangleExplorer: the China–Russia slider"):
            w.set_state(cn_ru=bad)
    with pytest.raises(ValueError, match=r"unknown state keys \['usa_cn'\]; allowed: us_cn, us_ru, cn_ru"):
        w.set_state(usa_cn=0.1)
    with pytest.raises(ValueError, match=r"preset years \[2001\] have no coded relations; "
                                         r"the relations table covers 1950-2020"):
        TriangleExplorer(relations, years=(1972, 2001))
    with pytest.raises(ValueError, match="band"):
        TriangleExplorer(relations, band=1.5)


def test_set_state_is_all_or_nothing(triangle_explorer):
    before = triangle_explorer.state
    with pytest.raises(ValueError):
        triangle_explorer.set_state(us_cn=0.9, us_ru=-2)
    assert triangle_explorer.state == before


def test_explicit_preset_years_make_buttons_with_classes(relations):
    w = TriangleExplorer(relations, years=(1969, 1950))
    assert list(w.preset_buttons) == [1950, 1969]
    assert "triangle-preset-1969" in w.preset_buttons[1969]._dom_classes
    assert w.preset_buttons[1969].description == "1969"


def test_triangle_parts_carry_css_classes_and_visible_labels(triangle_explorer):
    w = triangle_explorer
    assert "triangle-explorer" in w._dom_classes
    assert "triangle-us-cn-slider" in w.sliders["US-CN"]._dom_classes
    assert "triangle-cn-ru-slider" in w.sliders["CN-RU"]._dom_classes
    assert "triangle-summary" in w.summary_widget._dom_classes
    assert "triangle-figure" in w.picture._dom_classes
    assert "triangle-errors" in w.error_output._dom_classes
    assert "triangle-preset-1972" in w.preset_buttons[1972]._dom_classes
    assert [s.description for s in w.sliders.values()] == ["US–China", "US–Russia", "China–Russia"]
    for slider in w.sliders.values():
        assert (slider.min, slider.max, slider.step) == (-1.0, 1.0, 0.05)
        assert slider.style.description_width == "95px"  # wide enough: the label shows in full
        assert not slider.disabled


def test_the_shown_picture_is_the_current_scene_with_its_text_alternative(triangle_explorer):
    w = triangle_explorer
    first = _shown_svg(w)
    w.set_state(us_cn=0.75)
    second = _shown_svg(w)
    assert first != second
    assert second == svg.scene_svg(w.scene, data={"widget": "TriangleExplorer",
                                                  "state": json.dumps(w.state, sort_keys=True)})
    root = ET.fromstring(second)
    assert _data_state(w) == w.state and root.get("data-widget") == "TriangleExplorer"
    # The text alternative: <title>, <desc> (the summary) and the aria-label.
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(ns + "title").text == "The triangle: Your triangle."
    assert root.find(ns + "desc").text == w.summary_text
    assert root.get("aria-label") == "The triangle: Your triangle."
    # The static picture is the same scene at twice its pixel size.
    assert _png_image(w).size == (2 * w.scene.width, 2 * w.scene.height)


# ---------------------------------------------------------------- TimelineExplorer


def test_timeline_filters_by_years_actors_and_categories(timeline_explorer):
    w = timeline_explorer
    assert len(w.filtered_events) == 6
    assert len(w.scene.find("event")) == 6
    key_of = {event_id: f"e{i}" for i, event_id in w.timeline["event_id"].items()}
    w.set_state(years=(1960, 1990))
    assert list(w.filtered_events["event_id"]) == ["1969-border-clash", "1972-nixon-visit",
                                                   "1987-inf-treaty"]
    assert sorted(e.key for e in w.scene.find("event")) == sorted(key_of[e] for e in w.filtered_events["event_id"])
    assert w.scene.texts("tick-label", "x")[0] == "1960" and w.scene.texts("tick-label", "x")[-1] == "1990"
    # Actors: an event stays when ALL its actors are ticked.
    w.set_state(years=(1950, 2019), actors=("CN", "RU"))
    assert set(w.filtered_events["event_id"]) == {"1950-sino-soviet-treaty", "1969-border-clash",
                                                  "2019-new-era"}
    w.actor_boxes["US"].value = True
    w.category_boxes["diplomacy"].value = False
    assert set(w.filtered_events["category"]) == {"border", "arms control"}
    assert len(w.scene.find("event")) == len(w.filtered_events) == 3
    assert {e.key for e in w.scene.find("event")} == {key_of[e] for e in w.filtered_events["event_id"]}


def test_timeline_points_sit_in_their_category_row_and_show_date_precision(timeline_explorer):
    w = timeline_explorer
    scene = w.scene
    rows = {t.text: t.y for t in scene.find("tick-label", "y")}
    assert list(rows) == w.categories
    pitch = abs(rows[w.categories[1]] - rows[w.categories[0]])
    key_of = {event_id: f"e{i}" for i, event_id in w.timeline["event_id"].items()}
    points = {event_id: e for e in scene.find("event") for event_id, key in key_of.items() if key == e.key}
    arms = [points["1987-inf-treaty"], points["2019-us-inf-exit"]]
    assert all(abs(p.y - rows["arms control"]) < pitch / 2 for p in arms)
    assert len({p.shape for p in arms}) == 1 and arms[0].shape != points["1969-border-clash"].shape
    # 1987 is dated to the year only: drawn hollow (white face); a day-dated event is filled.
    assert arms[0].fill == "#ffffff" and arms[1].fill == arms[1].color
    # Placed mid-year: halfway between the ticks of 1980 and 1990 would be 1985; 1987.5 is 3/4.
    ticks = {t.text: t.x for t in scene.find("tick-label", "x")}
    assert arms[0].x == pytest.approx(ticks["1980"] + 0.75 * (ticks["1990"] - ticks["1980"]))
    assert scene.texts("axis-label", "x") == ["year"] and scene.texts("axis-label", "y") == ["category"]


def test_decimal_year_places_partial_dates_in_the_middle():
    assert plotting.decimal_year(pd.Timestamp("1987-01-01"), "year") == 1987.5
    assert 1969.16 < plotting.decimal_year(pd.Timestamp("1969-03-01"), "month") < 1969.21
    assert plotting.decimal_year(pd.Timestamp("2019-01-01"), "day") == pytest.approx(2019 + 0.5 / 365)


def test_timeline_year_picker_shows_the_coded_triangle(timeline_explorer, relations):
    w = timeline_explorer
    assert w.selected_year == 2019
    w.set_state(year=1972)
    assert w.selected_year == 1972
    expected = analyse(Triangle(0.3, -0.3, -0.7))
    assert w.analysis == expected
    assert summary(expected) in w.summary_text
    assert w.scene.texts("title")[0] == "1972"
    (line,) = [e for e in w.scene.find("year-line") if isinstance(e, Line)]
    ticks = {t.text: t.x for t in w.scene.find("tick-label", "x")}
    step = (ticks["1980"] - ticks["1970"]) / 10
    assert line.points[0][0] == pytest.approx(ticks["1970"] + 2.5 * step) == line.points[1][0]
    # A year outside the range shown hides the marker line.
    w.set_state(years=(1950, 1960))
    assert w.scene.find("year-line") == []


def test_timeline_event_list_links_each_source(timeline_explorer):
    w = timeline_explorer
    w.set_state(years=(1972, 1972))
    assert "1 event from 1972 to 1972" in w.events_status.value
    page = w.events_widget.value  # the whole list, sent once; a <style> hides the others
    assert 'data-event-id="1972-nixon-visit"' in page
    assert _shown_event_ids(w) == ["1972-nixon-visit"]
    assert ('<a href="https://example.org/a?x=1&amp;y=2" target="_blank" rel="noopener noreferrer" '
            'style="color:#0072B2;text-decoration:underline">Treaty texts &amp; more</a> '
            "(Archive A, 2001)") in page
    assert ">Arms control record</a>" in page
    assert "US–China warming" in page and "US–Russia neutral" in page
    w.set_state(categories=())
    assert "No event matches these filters." in w.events_status.value
    assert _shown_event_ids(w) == []
    assert w.scene.find("event") == []
    w.set_state(categories=w.categories, years=(1950, 2019))
    assert _shown_event_ids(w) == list(w.timeline["event_id"])


def _shown_event_ids(w) -> list[str]:
    """The events the list shows: the whole list's items minus those its <style> hides."""
    every = re.findall(r'<li data-event-id="([^"]+)"', w.events_widget.value)
    css = re.search(r"<style>(.*)</style>", w.events_status.value)
    if css is None:
        return every
    rules = dict(re.findall(r"([^{}]+)\{display:([\w-]+)\}", css.group(1)))
    listed = {sel: re.findall(r'data-event-id="([^"]+)"', sel) for sel in rules}
    hidden_all = any(rules[sel] == "none" and not ids for sel, ids in listed.items())
    shown = {i for sel, ids in listed.items() if rules[sel] == "list-item" for i in ids}
    hidden = {i for sel, ids in listed.items() if rules[sel] == "none" for i in ids}
    return [e for e in every if (e in shown) or (not hidden_all and e not in hidden)]


def test_timeline_validation_messages(timeline_explorer):
    w = timeline_explorer
    with pytest.raises(ValueError, match=r"TimelineExplorer: the years slider \(years\) must be a pair "
                                         r"\(first, last\) of whole numbers with 1950 <= first <= last "
                                         r"<= 2019; got \(1990, 1960\)"):
        w.set_state(years=(1990, 1960))
    with pytest.raises(ValueError, match=r"<= 2019; got \(1940, 1960\)"):
        w.set_state(years=(1940, 1960))
    with pytest.raises(ValueError, match=r"the actor boxes \(actors\) may only contain 'US', 'CN', "
                                         r"'RU'; got unknown \['FR'\]"):
        w.set_state(actors=("US", "FR"))
    with pytest.raises(ValueError, match=r"the category boxes \(categories\) may only contain"):
        w.set_state(categories=("sport",))
    with pytest.raises(ValueError, match=r"the year slider \(year\) must be a coded year from 1950 "
                                         r"to 2020; 1980 has no coded relations"):
        w.set_state(year=1980)
    with pytest.raises(ValueError, match=r"the year slider \(year\) must be a whole number from 1950 "
                                         r"to 2020; got 2030"):
        w.set_state(year=2030)


def test_timeline_parts_carry_css_classes(timeline_explorer):
    w = timeline_explorer
    assert "timeline-years-slider" in w.years_slider._dom_classes
    assert "timeline-year-slider" in w.year_slider._dom_classes
    assert "timeline-actor-us" in w.actor_boxes["US"]._dom_classes
    assert "timeline-category-arms-control" in w.category_boxes["arms control"]._dom_classes
    assert "timeline-events" in w.events_widget._dom_classes
    assert list(w.year_slider.options) == [1950, 1969, 1972, 1989, 2019, 2020]  # coded years only


# ---------------------------------------------------------------- ScenarioExplorer


def test_scenario_path_matches_the_dynamics(scenario_explorer):
    w = scenario_explorer
    w.set_state(scenario="us-pressure-on-both", start_year=1972, steps=15)
    expected = dynamics.simulate(Triangle(0.3, -0.3, -0.7), "us-pressure-on-both", steps=15)
    assert w.path == expected
    assert w.final_analysis == analyse(expected[-1])
    assert summary(analyse(expected[-1])) in w.summary_text
    assert dynamics.path_summary(expected) in w.summary_text
    ticks = {t.text: t.y for t in w.scene.find("tick-label", "y")}
    per_unit = (ticks["-1"] - ticks["1"]) / 2  # pixels per score unit, y grows downwards
    for dyad in model.DYADS:
        (line,) = w.scene.find("path", dyad)
        assert len(line.points) == 16
        scores = [ticks["0"] - y for _, y in line.points]
        assert scores == pytest.approx([t.as_dict()[dyad] * per_unit for t in expected], abs=0.06)
    assert w.scene.texts("title")[0] == "after 15 steps"


def test_scenario_lines_differ_by_colour_style_marker_and_label(scenario_explorer):
    scene = scenario_explorer.scene
    lines = [scene.find("path", d)[0] for d in model.DYADS]
    markers = [scene.find("path-marker", d)[0] for d in model.DYADS]
    assert len({l.color for l in lines}) == 3 and len({l.style for l in lines}) == 3
    assert len({m.shape for m in markers}) == 3
    legend = [t.text for t in scene.find("legend") if isinstance(t, Text)]
    assert [DYAD_STYLES[d].label for d in model.DYADS] == legend[:3]
    assert scene.texts("axis-label", "x") == ["step"]
    assert scene.texts("axis-label", "y")[0].startswith("score")


def test_scenario_start_year_fills_the_sliders_and_a_slider_means_custom(scenario_explorer):
    w = scenario_explorer
    assert w.state["start_year"] == 2019
    w.start_dropdown.value = 1950
    assert w.start == Triangle(-0.8, -0.7, 0.9)
    w.start_sliders["US-RU"].value = 0.5
    assert w.start_dropdown.value == "custom"
    assert w.path[0] == Triangle(-0.8, 0.5, 0.9)
    assert "from a custom start" in w.summary_text
    w.set_state(start_year="custom", us_cn=0.1, us_ru=0.2, cn_ru=0.3)
    assert w.path[0] == Triangle(0.1, 0.2, 0.3)


def test_scenario_from_a_triangle_has_only_a_custom_start():
    w = ScenarioExplorer(Triangle(0.5, -0.5, 0.5), scenario="status-quo")
    assert list(w.start_dropdown.options) == [("custom (the sliders below)", "custom")]
    assert w.path[0] == Triangle(0.5, -0.5, 0.5)
    assert len(w.path) == dynamics.SCENARIOS["status-quo"].steps + 1


def test_scenario_validation_messages(scenario_explorer, relations):
    w = scenario_explorer
    with pytest.raises(ValueError, match=r"ScenarioExplorer: the steps slider \(steps\) must be a whole "
                                         r"number from 1 to 60; got 0"):
        w.set_state(steps=0)
    with pytest.raises(ValueError, match=r"got 61"):
        w.set_state(steps=61)
    with pytest.raises(ValueError, match=r"the scenario menu \(scenario\) must be one of 'status-quo'"):
        w.set_state(scenario="world-peace")
    with pytest.raises(ValueError, match=r"the start menu \(start_year\) must be one of 'custom', 1950"):
        w.set_state(start_year=1900)
    with pytest.raises(ValueError, match=r"the start US–Russia slider \(us_ru\) must be a number"):
        w.set_state(us_ru=-1.2)
    with pytest.raises(ValueError, match=r"either start_year .* or custom start scores"):
        w.set_state(start_year=1972, us_cn=0.5)
    with pytest.raises(ValueError, match=r"ScenarioExplorer: start must be a relations DataFrame"):
        ScenarioExplorer({"US-CN": 0.1})


def test_scenario_parts_carry_css_classes(scenario_explorer):
    w = scenario_explorer
    assert "scenario-steps-slider" in w.steps_slider._dom_classes
    assert "scenario-scenario-dropdown" in w.scenario_dropdown._dom_classes
    assert "scenario-start-dropdown" in w.start_dropdown._dom_classes
    assert "scenario-start-us-cn-slider" in w.start_sliders["US-CN"]._dom_classes


# ---------------------------------------------------------------- EvidenceExplorer


def test_evidence_for_a_claim_with_indicators(evidence_explorer):
    w = evidence_explorer
    w.set_state(claim="C02")
    assert w.selected_claim == "C02"
    assert list(w.evidence_events["event_id"]) == ["1987-inf-treaty"]
    got = w.evidence_indicators
    assert set(zip(got["indicator"], got["subject"])) == {
        ("nuclear_warheads_inventory", "US"), ("nuclear_warheads_inventory", "RU"),
        ("trade_goods_total", "CN-RU")}
    assert len(got) == 9
    scene = w.scene
    assert scene.texts("panel-title") == ["nuclear warheads", "trade in goods"]
    series = scene.find("series")
    # A line joins consecutive years only: the trade values (2000, 2010, 2019) stay single points.
    assert [e.key for e in series] == ["nuclear_warheads_inventory:US", "nuclear_warheads_inventory:RU"]
    assert [len(e.points) for e in series] == [3, 3]
    markers = [m.key for m in scene.find("series-marker")]
    assert markers.count("trade_goods_total:CN-RU") == 3 and len(markers) == 9
    assert scene.texts("axis-label", "y")[0] == "warheads" and scene.texts("axis-label", "x") == ["year"]
    assert scene.texts("tick-label", "y")[0] == "0"  # values start from zero
    assert "Russia boasts" in w.claim_widget.value and "Compare inventories." in w.claim_widget.value
    assert "Office C" in w.events_widget.value


def test_evidence_for_a_prediction_lists_outcome_events(evidence_explorer):
    w = evidence_explorer
    w.set_state(claim="C03")
    events = w.evidence_events
    assert list(events["event_id"]) == ["1972-nixon-visit", "2019-new-era", "2019-us-inf-exit"]
    assert list(events["evidence_role"]) == ["evidence", "outcome", "outcome"]
    assert w.evidence_indicators.empty
    assert "Events that show the outcome</strong> (2)" in w.events_widget.value
    assert w.summary_text.endswith("Outcome: They stayed aligned.")  # one full stop, not two
    # No indicator series: the chart shows the cited events on a year axis instead.
    scene = w.scene
    assert scene.texts("panel-title")[0].startswith("events cited")
    assert [m.key for m in scene.find("event")] == list(events["event_id"])
    assert [t.text for t in scene.find("event-date")] == ["1972-02-21", "2019-06-05", "2019-08-02"]


def test_evidence_headlines_are_wrapped_not_cut(timeline):
    from triangles.widgets.pictures import evidence_scene
    long = ("The United States withdraws from the Intermediate-Range Nuclear Forces Treaty after "
            "six months' notice, citing Russian violations")
    events = timeline.iloc[[5]].assign(headline=long)
    scene = evidence_scene(pd.DataFrame(columns=["indicator", "subject", "year", "value", "unit"]), [], events,
                           "t", "d")
    lines = scene.texts("event-label", "2019-us-inf-exit")
    assert len(lines) > 1 and " ".join(lines) == long


def test_evidence_menu_labels_are_short_and_validation(evidence_explorer):
    w = evidence_explorer
    labels = [label for label, _ in w.claim_dropdown.options]
    assert labels[0] == "C01 (P1, fact): “China and Russia upgraded their ties.”"
    assert labels[1].endswith("…”") and len(labels[1]) < 100
    with pytest.raises(ValueError, match=r"EvidenceExplorer: the claim menu \(claim\) must be a claim "
                                         r"id \(C01, C02, C03\); got 'C99'"):
        w.set_state(claim="C99")
    assert "evidence-claim-dropdown" in w.claim_dropdown._dom_classes


# ---------------------------------------------------------------- shared behaviour, every explorer


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_repeated_updates_keep_exactly_one_figure(request, name):
    w = request.getfixturevalue(name)
    w.set_state(**CHANGES[name][0])
    first = w.scene
    for i in range(12):
        w.set_state(**CHANGES[name][i % 2])
        assert _shown_svg(w).count("<svg") == 1
    w.set_state(**CHANGES[name][0])
    assert w.scene == first  # the same state draws the same scene: nothing stacks
    assert w.errors == []
    w.figure_png
    assert plt.get_fignums() == []  # nothing was registered with pyplot


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_a_callback_exception_ends_up_in_the_error_output(request, monkeypatch, name):
    w = request.getfixturevalue(name)
    shown_before = _shown_svg(w)

    def broken() -> None:
        raise RuntimeError("the plotting broke")

    monkeypatch.setattr(w, "_update", broken)
    # Change a control the way the browser would: the observer runs, it must not raise.
    control, value = {
        "triangle_explorer": (lambda: w.sliders["US-RU"], 0.35),
        "timeline_explorer": (lambda: w.year_slider, 1989),
        "scenario_explorer": (lambda: w.steps_slider, 9),
        "evidence_explorer": (lambda: w.claim_dropdown, "C03"),
    }[name]
    control().value = value
    assert len(w.errors) == 1
    assert f"{w.widget_name} could not update after a change to the" in w.errors[0]
    assert "RuntimeError: the plotting broke" in w.errors[0]
    assert "Traceback" in w.errors[0]  # the details are kept for the teacher
    html = w.error_output.outputs[0]["data"]["text/html"]
    assert "the plotting broke" in html and "<details>" in html
    assert _shown_svg(w) == shown_before  # the last good picture stays
    monkeypatch.undo()
    w.set_state(**CHANGES[name][0])
    assert _shown_svg(w) != shown_before
    assert len(w.errors) == 1  # the message stays until the student has seen it


def test_a_failing_preset_button_reports_in_the_error_output(triangle_explorer, monkeypatch):
    w = triangle_explorer
    monkeypatch.setattr("triangles.widgets.triangle.triangle_scene", lambda *args: 1 / 0)
    w.preset_buttons[1972].click()
    assert "after a change to the 1972 preset: ZeroDivisionError" in w.errors[0]


def test_error_output_keeps_only_the_last_few(triangle_explorer, monkeypatch):
    w = triangle_explorer
    monkeypatch.setattr(w, "_update", lambda: 1 / 0)
    for i in range(8):
        w.sliders["US-CN"].value = round(0.05 * i, 2)
    assert len(w.errors) == 5


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_static_fallback_has_a_figure_and_its_text(request, name):
    w = request.getfixturevalue(name)
    bundle = w._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == w.model_id
    assert bundle["text/plain"] == w.summary_text
    assert bundle["image/svg+xml"] == w.svg and bundle["image/svg+xml"].startswith("<svg")
    assert "image/png" not in bundle  # made on demand only: showing an explorer never imports matplotlib
    assert "<figcaption>" in bundle["text/html"] and bundle["text/html"].count("<svg") == 1
    # The fallback follows the widget's state.
    w.set_state(**CHANGES[name][0])
    w.set_state(**CHANGES[name][1])
    assert w._repr_mimebundle_()["text/plain"] == w.summary_text
    assert w._repr_mimebundle_()["image/svg+xml"] == w.svg


def test_showing_the_explorers_never_imports_matplotlib():
    code = ("import sys; from triangles.data import load_all; from triangles import widgets; "
            "d = load_all(); ws = [widgets.TriangleExplorer(d.relations), "
            "widgets.TimelineExplorer(d.timeline, d.sources, d.relations), widgets.ScenarioExplorer(d.relations), "
            "widgets.EvidenceExplorer(d.claims, d.indicators, d.timeline, d.sources)]; "
            "[w._repr_mimebundle_() for w in ws]; ws[0].set_state(us_cn=0.5); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib')[:3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_state_round_trips(request, name):
    w = request.getfixturevalue(name)
    w.set_state(**CHANGES[name][0])
    state = w.state
    w.set_state(**CHANGES[name][1])
    w.set_state(**state)
    assert w.state == state
    assert _data_state(w) == json.loads(json.dumps(state))


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_every_control_has_a_visible_label(request, name):
    w = request.getfixturevalue(name)
    controls = [c for c in _descendants(w)
                if isinstance(c, (widgets.FloatSlider, widgets.IntSlider, widgets.IntRangeSlider,
                                  widgets.SelectionSlider, widgets.Dropdown, widgets.Checkbox,
                                  widgets.Button))]
    assert controls
    for control in controls:
        assert control.description.strip(), f"{type(control).__name__} has no label"
        assert not control.disabled
        assert any(cls.startswith(w.css_prefix + "-") for cls in control._dom_classes)
    assert f"{w.css_prefix}-figure" in w.picture._dom_classes
    assert f"{w.css_prefix}-errors" in w.error_output._dom_classes


def _descendants(widget):
    for child in getattr(widget, "children", ()):
        yield child
        yield from _descendants(child)


def test_ipywidgets_set_state_protocol_still_works(triangle_explorer):
    # ipywidgets applies browser updates with set_state(dict); the explorer passes it on.
    triangle_explorer.set_state({"_dom_classes": ("triangle-explorer", "extra")})
    assert "extra" in triangle_explorer._dom_classes


# ---------------------------------------------------------------- the two renderers, coalescing


def _svg_shape(element) -> str:
    """A marker's shape read back from the SVG: a circle, or a path's outline."""
    if element.tag.endswith("circle"):
        return "o"
    d = element.get("d")
    if "h" in d:
        return "s"
    start, steps = re.fullmatch(r"M([-\d.]+ [-\d.]+)l(.*)z", d).groups()
    corners = [tuple(map(float, start.split()))]
    numbers = [float(v) for v in steps.split()]
    for dx, dy in zip(numbers[::2], numbers[1::2]):
        corners.append((corners[-1][0] + dx, corners[-1][1] + dy))
    if len(corners) == 3:
        return "^" if corners[0][1] < corners[1][1] else "v"
    if len(corners) == 4:
        return "D"
    if len(corners) == 6:
        return "h"
    return "P" if corners[0][1] == corners[1][1] else "X"


def _svg_style(element) -> str:
    """A polyline's line style read back from its dash pattern (in line widths)."""
    dash = element.get("stroke-dasharray")
    if dash is None:
        return "-"
    width = float(element.get("stroke-width"))
    pattern = [float(v) / width for v in dash.split()]  # rounded to 0.1 px in the SVG
    (style,) = [s for s, p in svg.DASHES.items()
                if p and len(p) == len(pattern) and all(abs(a - b) < 0.1 for a, b in zip(p, pattern))]
    return style


def _drawn_in_svg(text: str) -> list[tuple]:
    """Every element of an explorer's SVG as (kind, role, key, what it shows)."""
    out = []
    for group in ET.fromstring(text):
        if not group.tag.endswith("}g"):
            continue
        role = group.get("data-role")
        for e in group:
            for name, value in group.attrib.items():  # a group carries what its elements share
                if name != "data-role" and e.get(name) is None:
                    e.set(name, value)
            tag, key = e.tag.split("}")[1], e.get("data-key", "")
            if tag == "polyline":
                out.append(("line", role, key, e.get("stroke").lower(), _svg_style(e),
                            len(e.get("points").split())))
            elif tag in ("circle", "path"):
                out.append(("marker", role, key, _svg_shape(e), e.get("stroke").lower(), e.get("fill").lower()))
            elif tag == "text":
                out.append(("text", role, key, e.text, e.get("fill", "#000000").lower(),
                            e.get("text-anchor", "start")))
            elif tag == "rect":
                out.append(("rect", role, key, e.get("fill").lower()))
    return out


def _drawn_by_matplotlib(scene) -> list[tuple]:
    """Every artist of the static picture as (kind, role, key, what it shows), in drawing order."""
    fig = scene_figure.scene_figure(scene)
    (ax,) = fig.axes
    artists = sorted([*ax.lines, *ax.texts, *ax.patches], key=lambda a: a.get_zorder())
    hex_ = matplotlib.colors.to_hex  # lower case
    out = []
    for a in artists:
        role, key = a.get_gid().split(":", 1)
        if isinstance(a, matplotlib.lines.Line2D) and a.get_marker() in ("None", None, ""):
            out.append(("line", role, key, hex_(a.get_color()), a.get_linestyle(), len(a.get_xdata())))
        elif isinstance(a, matplotlib.lines.Line2D):
            out.append(("marker", role, key, a.get_marker(), hex_(a.get_markeredgecolor()),
                        hex_(a.get_markerfacecolor())))
        elif isinstance(a, matplotlib.text.Text):
            anchor = {"left": "start", "center": "middle", "right": "end"}[a.get_horizontalalignment()]
            out.append(("text", role, key, a.get_text(), hex_(a.get_color()), anchor))
        else:
            out.append(("rect", role, key, hex_(a.get_facecolor())))
    return out


def _scene_as_drawn(scene) -> list[tuple]:
    out = []
    for e in scene.elements:
        if isinstance(e, Line):
            out.append(("line", e.role, e.key, e.color.lower(), e.style, len(e.points)))
        elif isinstance(e, Marker):
            out.append(("marker", e.role, e.key, e.shape, e.color.lower(), e.fill.lower()))
        elif isinstance(e, Text):
            out.append(("text", e.role, e.key, e.text, e.color.lower(), e.anchor))
        elif isinstance(e, Rect):
            out.append(("rect", e.role, e.key, e.fill.lower()))
    return out


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_the_browser_picture_and_the_static_picture_show_the_same_elements(request, name):
    """Both renderers read one scene: edges, signs, labels, roles and markers match one by one."""
    w = request.getfixturevalue(name)
    for change in (*CHANGES[name], *EXTRA_STATES.get(name, ())):
        w.set_state(**change)
        expected = _scene_as_drawn(w.scene)
        assert {kind for kind, *_ in expected} >= {"line", "text", "marker"}
        assert _drawn_in_svg(_shown_svg(w)) == expected
        assert _drawn_by_matplotlib(w.scene) == expected


EXTRA_STATES = {  # states that draw other kinds of elements (no events, hollow markers, a band)
    "timeline_explorer": [{"years": (1980, 1990)}, {"categories": ()}],
    "evidence_explorer": [{"claim": "C01"}],
    "triangle_explorer": [{"us_cn": 0.0, "us_ru": 0.6, "cn_ru": -0.6}],
}


def test_every_marker_shape_reads_back_from_the_svg():
    from triangles.scene import MARKERS, Scene
    scene = Scene(100, 20, "t", "d", tuple(Marker(10 * i + 5, 10, s, "#000000", "#ffffff", size=8,
                                                  role="m", key=s) for i, s in enumerate(MARKERS)))
    assert [shape for _, _, _, shape, _, _ in _drawn_in_svg(svg.scene_svg(scene))] == list(MARKERS)
    assert [shape for _, _, _, shape, _, _ in _drawn_by_matplotlib(scene)] == list(MARKERS)


def test_the_same_content_test_notices_a_difference(triangle_explorer):
    # A renderer that drew the dashed (enmity) edge solid would be caught.
    w = triangle_explorer
    w.set_state(us_cn=-0.5)
    wrong = re.sub(r'(data-role="edge" data-key="US-CN"[^>]*?) stroke-dasharray="[^"]*"', r"\1", _shown_svg(w),
                   count=1)
    assert wrong != _shown_svg(w)
    assert _drawn_in_svg(wrong) != _scene_as_drawn(w.scene)


def _browser_update(control, value) -> None:
    """A change as the browser sends it: a comm 'update' message to the control."""
    control._handle_msg({"content": {"data": {"method": "update", "state": {"value": value},
                                              "buffer_paths": []}}, "buffers": []})


def test_a_fast_drag_redraws_once_with_the_final_value(triangle_explorer):
    """In the kernel (an event loop is running), changes that arrive before the redraw runs are
    coalesced into one redraw, which shows the value the hand stopped at."""
    w = triangle_explorer
    slider = w.sliders["US-CN"]
    values = [round(-1 + 0.1 * i, 2) for i in range(20)]

    async def drag():
        before = w.redraw_count
        for value in values:
            _browser_update(slider, value)
        assert w.redraw_count == before  # nothing drawn yet: one redraw is scheduled
        await asyncio.sleep(0)
        return w.redraw_count - before

    assert asyncio.run(drag()) == 1
    assert _data_state(w)["us_cn"] == values[-1] == slider.value
    assert w.scene.texts("edge-label", "US-CN") == [f"{values[-1]:+.2f} amity".replace("-", "\u2212")]


def test_changes_during_a_slow_redraw_are_skipped_but_the_last_is_drawn(triangle_explorer):
    """After a redraw that took long (a busy machine), the next waits as long; the changes that
    arrive meanwhile are recorded, and one redraw shows the latest."""
    w = triangle_explorer
    slider = w.sliders["US-CN"]

    async def drag():
        loop = asyncio.get_running_loop()
        w._next_redraw_at = loop.time() + 0.3  # as if the last redraw had just taken 0.3 s
        before = w.redraw_count
        for value in (0.1, 0.2, 0.3, 0.4):
            _browser_update(slider, value)
            await asyncio.sleep(0)  # the loop turns between messages, as in the kernel
        assert w.redraw_count == before
        await asyncio.sleep(0.5)
        return w.redraw_count - before

    assert asyncio.run(drag()) == 1
    assert _data_state(w)["us_cn"] == 0.4


def test_changes_spread_over_time_each_get_their_picture(triangle_explorer):
    w = triangle_explorer

    async def slow_drag():
        shown = []
        for value in (0.3, 0.4, 0.5):
            _browser_update(w.sliders["US-CN"], value)
            # a hand that pauses: well past the redraw and the wait after it (a redraw takes < 10 ms)
            await asyncio.sleep(0.05)
            shown.append(_data_state(w)["us_cn"])
        return shown

    assert asyncio.run(slow_drag()) == [0.3, 0.4, 0.5]


def test_without_coalescing_every_change_redraws(triangle_explorer, monkeypatch):
    # The comparison the benchmark makes: the same drag with coalescing off draws 20 times.
    w = triangle_explorer
    monkeypatch.setattr(w, "coalesce", False)

    async def drag():
        before = w.redraw_count
        for i in range(20):
            _browser_update(w.sliders["US-CN"], round(-1 + 0.1 * i, 2))
        await asyncio.sleep(0)
        return w.redraw_count - before

    assert asyncio.run(drag()) == 20


def test_a_coalesced_redraw_that_fails_reports_in_the_error_output(triangle_explorer, monkeypatch):
    w = triangle_explorer
    monkeypatch.setattr(w, "_update", lambda: 1 / 0)

    async def drag():
        _browser_update(w.sliders["US-RU"], 0.5)
        await asyncio.sleep(0)

    asyncio.run(drag())
    assert "after a change to the US–Russia slider: ZeroDivisionError" in w.errors[0]


def test_revisiting_a_claim_draws_the_same_picture(evidence_explorer):
    w = evidence_explorer
    w.set_state(claim="C02")
    first = w.scene
    for claim in ("C03", "C01", "C02"):
        w.set_state(claim=claim)
    assert w.scene == first


def test_the_layout_keeps_the_controls_wide_enough(triangle_explorer):
    # Voila's default template squeezed a flexible control column to 0 px: it must not shrink.
    row = triangle_explorer.children[0]
    controls, picture = row.children
    assert picture is triangle_explorer.picture
    assert controls.layout.flex == "0 0 auto" and controls.layout.min_width == controls.layout.width == "350px"
    assert row.layout.flex_flow == "row wrap"
    assert picture.layout.min_width == "0"


def test_draw_triangle_on_any_axes():
    fig = plotting.new_figure(3, 3)
    ax = fig.add_subplot()
    diagram = plotting.draw_triangle(ax, analyse(Triangle(0.5, 0.5, -0.5)))
    assert diagram.edges["CN-RU"].get_linestyle() == "--"
    assert plotting.figure_png(fig).startswith(PNG_SIGNATURE)


# ---------------------------------------------------------------- the kit's real data


@pytest.fixture(scope="module")
def dataset():
    from triangles.data import load_all
    return load_all()


def test_all_four_explorers_build_from_the_real_data(dataset):
    d = dataset
    built = [TriangleExplorer(d.relations), TimelineExplorer(d.timeline, d.sources, d.relations),
             ScenarioExplorer(d.relations), EvidenceExplorer(d.claims, d.indicators, d.timeline, d.sources)]
    for w in built:
        assert w.errors == []
        assert w.figure_png.startswith(PNG_SIGNATURE)
        assert len(w.summary_text) > 40
        assert len(_shown_svg(w).encode()) < 20 * 1024  # what a change sends stays small
    triangle, timeline, scenario, evidence = built
    triangle.apply_preset(1972)
    assert triangle.summary_text == summary(analyse(triangle.triangle))
    assert len(timeline.scene.find("event")) == len(dataset.timeline)
    for claim_id in evidence.claim_ids:  # every claim's evidence can be drawn
        evidence.set_state(claim=claim_id)
        assert evidence.errors == [], claim_id
    for key in scenario.scenarios:
        scenario.set_state(scenario=key)
        assert scenario.errors == [], key


def test_the_projector_app_holds_the_four_explorers(relations, timeline, sources, claims, indicators):
    from types import SimpleNamespace
    from triangles.projector import projector

    data = SimpleNamespace(relations=relations, timeline=timeline, sources=sources, claims=claims,
                           indicators=indicators)
    app = projector(data, zoom=1.5)
    assert "triangles-projector" in app._dom_classes
    assert [type(e).__name__ for e in app.explorers] == ["TriangleExplorer", "TimelineExplorer",
                                                          "ScenarioExplorer", "EvidenceExplorer"]
    assert all(e in app.children for e in app.explorers)
    assert "zoom:1.5" in app.children[0].value
    with pytest.raises(ValueError, match=r"projector: zoom must be a number from 0.5 to 3; got 5"):
        projector(data, zoom=5)
