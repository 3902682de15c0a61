"""The explorer widgets, driven from code: values in, summary text, figure data and errors out.

Most tests use small in-memory tables so they do not depend on the kit's data;
a few at the end build the explorers from the real data.  No wall-clock checks.
"""

from __future__ import annotations

import base64
import io
import json
import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import ipywidgets as widgets

from triangles import dynamics, model, plotting
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


def _shown_img(explorer) -> str:
    (output,) = explorer.figure_output.outputs
    return output["data"]["text/html"]


def _data_state(explorer) -> dict:
    match = re.search(r'data-state="([^"]*)"', _shown_img(explorer))
    return json.loads(match.group(1).replace("&quot;", '"'))


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
    edge = w.diagram.edges["US-CN"]
    style = SIGN_STYLES[sign]
    assert matplotlib.colors.to_hex(edge.get_color()) == style.color.lower()
    assert edge.get_linestyle() == {"-": "-", "--": "--", ":": ":"}[style.linestyle]
    assert w.diagram.edge_labels["US-CN"].get_text().endswith(style.label)
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
    shown = {a: t.get_text() for a, t in w.diagram.role_labels.items()}
    assert shown == {"US": "pivot", "CN": "wing", "RU": "wing"}
    assert "romantic triangle" in w.diagram.title.get_text()
    w.set_state(cn_ru=0.0)
    assert {t.get_text() for t in w.diagram.role_labels.values()} == {"no role"}
    assert "undetermined" in w.summary_text


def test_presets_load_the_coded_year_by_method_and_by_click(triangle_explorer):
    w = triangle_explorer
    w.apply_preset(1972)
    assert w.state == {"us_cn": 0.3, "us_ru": -0.3, "cn_ru": -0.7}
    assert w.preset_year == 1972
    assert w.diagram.title.get_text().startswith("1972: stable marriage")
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
    assert w.diagram.edge_labels["US-CN"].get_text() == "+0.20 amity"


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
    assert "triangle-figure" in w.figure_output._dom_classes
    assert "triangle-errors" in w.error_output._dom_classes
    assert "triangle-preset-1972" in w.preset_buttons[1972]._dom_classes
    assert [s.description for s in w.sliders.values()] == ["US–China", "US–Russia", "China–Russia"]
    for slider in w.sliders.values():
        assert (slider.min, slider.max, slider.step) == (-1.0, 1.0, 0.05)
        assert slider.style.description_width == "95px"  # wide enough: the label shows in full
        assert not slider.disabled


def test_the_shown_picture_is_the_current_figure(triangle_explorer):
    w = triangle_explorer
    first = _shown_img(w)
    w.set_state(us_cn=0.75)
    second = _shown_img(w)
    assert first != second
    assert _data_state(w) == w.state
    data = re.search(r'src="data:image/png;base64,([^"]+)"', second).group(1)
    assert base64.b64decode(data) == w.figure_png
    assert 'data-widget="TriangleExplorer"' in second
    # The alt text is the summary: the picture's text alternative.
    assert 'alt="Relations (scores strictly between' in second
    assert _png_image(w).size == (round(4.6 * 80), round(4.4 * 80))


# ---------------------------------------------------------------- TimelineExplorer


def test_timeline_filters_by_years_actors_and_categories(timeline_explorer):
    w = timeline_explorer
    assert len(w.filtered_events) == 6
    assert w.timeline_plot.n_points == 6
    w.set_state(years=(1960, 1990))
    assert list(w.filtered_events["event_id"]) == ["1969-border-clash", "1972-nixon-visit",
                                                   "1987-inf-treaty"]
    assert w.timeline_plot.n_points == 3
    assert w.timeline_plot.ax.get_xlim()[0] < 1960 < 1990 < w.timeline_plot.ax.get_xlim()[1]
    # Actors: an event stays when ALL its actors are ticked.
    w.set_state(years=(1950, 2019), actors=("CN", "RU"))
    assert set(w.filtered_events["event_id"]) == {"1950-sino-soviet-treaty", "1969-border-clash",
                                                  "2019-new-era"}
    w.actor_boxes["US"].value = True
    w.category_boxes["diplomacy"].value = False
    assert set(w.filtered_events["category"]) == {"border", "arms control"}
    assert w.timeline_plot.n_points == len(w.filtered_events) == 3
    assert len(w.timeline_plot.collections["diplomacy"].get_offsets()) == 0


def test_timeline_points_sit_in_their_category_row_and_show_date_precision(timeline_explorer):
    plot = timeline_explorer.timeline_plot
    arms = plot.collections["arms control"]
    row = plot.categories.index("arms control")
    offsets = arms.get_offsets()
    assert len(offsets) == 2 and np.all(np.abs(offsets[:, 1] - row) < 0.5)
    # 1987 is dated to the year only: placed mid-year, drawn hollow (white face).
    by_x = sorted(zip(offsets[:, 0], [tuple(f) for f in arms.get_facecolors()]))
    assert by_x[0][0] == pytest.approx(1987.5)
    assert by_x[0][1] == (1.0, 1.0, 1.0, 1.0)
    assert by_x[1][1] != (1.0, 1.0, 1.0, 1.0)
    assert plot.ax.get_xlabel() == "year" and plot.ax.get_ylabel() == "category"


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
    assert w.diagram.title.get_text().startswith("1972\n")
    assert list(w.timeline_plot.year_line.get_xdata()) == [1972.5, 1972.5]
    # A year outside the range shown hides the marker line.
    w.set_state(years=(1950, 1960))
    assert np.isnan(w.timeline_plot.year_line.get_xdata()[0])


def test_timeline_event_list_links_each_source(timeline_explorer):
    w = timeline_explorer
    w.set_state(years=(1972, 1972))
    page = w.events_widget.value
    assert "1 event from 1972 to 1972" in page
    assert 'data-event-id="1972-nixon-visit"' in page
    assert ('<a href="https://example.org/a?x=1&amp;y=2" target="_blank" rel="noopener noreferrer" '
            'style="color:#0072B2;text-decoration:underline">Treaty texts &amp; more</a> '
            "(Archive A, 2001)") in page
    assert ">Arms control record</a>" in page
    assert "US–China warming" in page and "US–Russia neutral" in page
    w.set_state(categories=())
    assert "No event matches these filters." in w.events_widget.value
    assert w.timeline_plot.n_points == 0


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
    for dyad, line in w.path_plot.lines.items():
        xs, ys = line.get_data()
        assert list(xs) == list(range(16))
        assert list(ys) == [t.as_dict()[dyad] for t in expected]
    assert w.diagram.title.get_text().startswith("after 15 steps")


def test_scenario_lines_differ_by_colour_style_marker_and_label(scenario_explorer):
    lines = scenario_explorer.path_plot.lines
    assert len({l.get_color() for l in lines.values()}) == 3
    assert len({l.get_linestyle() for l in lines.values()}) == 3
    assert len({l.get_marker() for l in lines.values()}) == 3
    assert [l.get_label() for l in lines.values()] == [DYAD_STYLES[d].label for d in model.DYADS]
    ax = scenario_explorer.path_plot.ax
    assert ax.get_xlabel() == "step" and ax.get_ylabel().startswith("score")


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
    axes = w.figure.axes
    assert [ax.get_title(loc="left") for ax in axes] == ["nuclear warheads", "trade in goods"]
    assert [len(ax.lines) for ax in axes] == [2, 1]
    assert [len(l.get_xdata()) for l in axes[0].lines] == [3, 3]
    assert axes[0].get_ylabel() == "warheads" and axes[-1].get_xlabel() == "year"
    assert axes[0].get_ylim()[0] == 0  # values start from zero
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
    assert "Outcome: They stayed aligned." in w.summary_text
    # No indicator series: the chart shows the cited events on a year axis instead.
    (ax,) = w.figure.axes
    assert ax.get_title(loc="left").startswith("events cited")
    assert len([line for line in ax.lines if line.get_marker() == "o"]) == 3
    assert [t.get_text().split("\n")[1] for t in ax.get_yticklabels()] == ["1972-02-21", "2019-06-05",
                                                                          "2019-08-02"]


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
    n_axes = len(w.figure.axes)
    for i in range(12):
        w.set_state(**CHANGES[name][i % 2])
        assert len(w.figure_output.outputs) == 1
    assert len(w.figure.axes) == n_axes
    assert w.figure_output.outputs[0]["data"]["text/html"].count("<img") == 1
    assert w.errors == []
    assert plt.get_fignums() == []  # nothing was registered with pyplot


@pytest.mark.parametrize("name", ["triangle_explorer", "timeline_explorer", "scenario_explorer"])
def test_artists_are_reused_not_stacked(request, name):
    w = request.getfixturevalue(name)
    counts = [len(ax.lines) + len(ax.collections) + len(ax.texts) for ax in w.figure.axes]
    for i in range(6):
        w.set_state(**CHANGES[name][i % 2])
    assert [len(ax.lines) + len(ax.collections) + len(ax.texts) for ax in w.figure.axes] == counts


def test_the_evidence_chart_is_rebuilt_per_claim_without_accumulating(evidence_explorer):
    # Its panels differ from claim to claim, so it is cleared and redrawn, never added to.
    w = evidence_explorer

    def shape():
        return [(ax.get_title(loc="left"), len(ax.lines), len(ax.texts)) for ax in w.figure.axes]

    w.set_state(claim="C02")
    first = shape()
    for claim in ("C03", "C02", "C01", "C02"):
        w.set_state(claim=claim)
    assert shape() == first
    assert len(w._pictures) == 3  # one stored picture per claim seen
    assert w.renderer.full_draws == 3


@pytest.mark.parametrize("name", ALL_EXPLORERS)
def test_a_callback_exception_ends_up_in_the_error_output(request, monkeypatch, name):
    w = request.getfixturevalue(name)
    shown_before = _shown_img(w)

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
    assert _shown_img(w) == shown_before  # the last good figure stays
    monkeypatch.undo()
    w.set_state(**CHANGES[name][0])
    assert _shown_img(w) != shown_before
    assert len(w.errors) == 1  # the message stays until the student has seen it


def test_a_failing_preset_button_reports_in_the_error_output(triangle_explorer, monkeypatch):
    w = triangle_explorer
    monkeypatch.setattr(w.diagram, "update", lambda analysis: 1 / 0)
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
    png = base64.b64decode(bundle["image/png"])
    assert png.startswith(PNG_SIGNATURE) and png == w.figure_png
    assert "<figcaption>" in bundle["text/html"] and bundle["text/html"].count("<img") == 1
    # The fallback follows the widget's state.
    w.set_state(**CHANGES[name][0])
    w.set_state(**CHANGES[name][1])
    assert w._repr_mimebundle_()["text/plain"] == w.summary_text


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
    assert f"{w.css_prefix}-figure" in w.figure_output._dom_classes
    assert f"{w.css_prefix}-errors" in w.error_output._dom_classes


def _descendants(widget):
    for child in getattr(widget, "children", ()):
        yield child
        yield from _descendants(child)


def test_ipywidgets_set_state_protocol_still_works(triangle_explorer):
    # ipywidgets applies browser updates with set_state(dict); the explorer passes it on.
    triangle_explorer.set_state({"_dom_classes": ("triangle-explorer", "extra")})
    assert "extra" in triangle_explorer._dom_classes


# ---------------------------------------------------------------- the fast renderer


@pytest.mark.parametrize("name", ["triangle_explorer", "timeline_explorer", "scenario_explorer"])
def test_fast_redraws_match_a_full_redraw(request, name):
    w = request.getfixturevalue(name)
    for i in range(3):
        w.set_state(**CHANGES[name][i % 2])
    if name == "timeline_explorer":  # new x limits: only part of the timeline is redrawn
        for years in ((1960, 2000), (1972, 1972), (1950, 2019)):
            w.set_state(years=years)
        assert w.renderer.region_draws == 3
    if name == "scenario_explorer":
        for steps in (40, 3, 17):
            w.set_state(steps=steps)
        assert w.renderer.region_draws >= 3
    fast = np.asarray(_png_image(w).convert("RGB"), dtype=int)
    full = np.asarray(Image.open(io.BytesIO(plotting.figure_png(w.figure))).convert("RGB"), dtype=int)
    assert fast.shape == full.shape
    differing = np.mean(np.abs(fast - full).max(axis=2) > 16)  # beyond anti-aliasing noise
    assert differing < 0.001, f"{differing:.2%} of the pixels differ from a full redraw"
    assert w.renderer.full_draws == 1  # the rest were blits or region redraws


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
    triangle, timeline, scenario, evidence = built
    triangle.apply_preset(1972)
    assert triangle.summary_text == summary(analyse(triangle.triangle))
    assert timeline.timeline_plot.n_points == len(dataset.timeline)
    for claim_id in evidence.claim_ids:  # every claim's evidence can be drawn
        evidence.set_state(claim=claim_id)
        assert evidence.errors == [], claim_id
    for key in scenario.scenarios:
        scenario.set_state(scenario=key)
        assert scenario.errors == [], key
