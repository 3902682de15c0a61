"""The four explorers in a real JupyterLab: they render, every control answers the keyboard and
the mouse, and the picture (an inline SVG drawn by the browser) follows.  Screenshots go to
artifacts/screenshots/; the keypress -> new-picture latency to artifacts/browser-latency.json and
a quick drag's settling time to artifacts/browser-drag.json (recorded for the benchmark, which
runs these two tests itself; never asserted on)."""

from __future__ import annotations

import datetime as dt
import json
import statistics

import pytest

from explorer_controls import (EXPLORERS, all_controls, choose_in_menu, drawn_texts, drive_every_control, picture,
                               picture_selector, quick_drag, shown_state, timeline_categories, wait_picture_change)

pytestmark = pytest.mark.browser

NOTEBOOK = "widgets-gallery.ipynb"
LATENCY_SAMPLES = 12
DRAGS = 6
DRAG_MOVES = 20  # a drag: 20 changes within about 200 ms


@pytest.fixture(scope="module")
def gallery(open_notebook):
    lab, close = open_notebook(NOTEBOOK)
    for root in EXPLORERS:
        lab.page.wait_for_selector(picture_selector(root), timeout=60_000)
    yield lab
    close()


def _readout(page, slider: str) -> float:
    """A slider's shown value; d3 formats negatives with a true minus sign."""
    text = page.locator(f"{slider} .widget-readout").text_content()
    return float(text.strip().replace("\u2212", "-"))


def _text(page, selector: str) -> str:
    return page.locator(selector).text_content()


def test_all_four_explorers_render_without_errors(gallery):
    page = gallery.page
    assert page.locator("text=Error displaying widget").count() == 0
    assert gallery.widget_errors() == []
    for root, prefix in EXPLORERS.items():
        explorer = page.locator(f".{root}")
        assert explorer.count() == 1, root
        svg = page.locator(picture_selector(root))
        assert svg.count() == 1, root
        assert svg.bounding_box()["width"] > 200
        assert svg.get_attribute("role") == "img" and svg.get_attribute("aria-label")
        assert len(svg.locator("desc").text_content()) > 40  # the text alternative: the summary
        assert len(_text(page, f".{root} .{prefix}-summary")) > 40
        gallery.screenshot(f"gallery-{root}", explorer)
    gallery.screenshot("gallery-page")


def test_triangle_slider_moves_by_keyboard_and_preset_by_click(gallery):
    page = gallery.page
    root = "triangle-explorer"
    handle = page.locator(".triangle-us-cn-slider .noUi-handle")
    before_value = _readout(page, ".triangle-us-cn-slider")
    before_summary = _text(page, ".triangle-summary")
    shown = picture(page, root)

    handle.press("ArrowRight")  # keyboard only: the handle is focusable
    wait_picture_change(page, root, shown)
    after_value = _readout(page, ".triangle-us-cn-slider")
    assert after_value == pytest.approx(before_value + 0.05)
    page.wait_for_function("([s, old]) => document.querySelector(s).textContent !== old",
                           arg=[".triangle-summary", before_summary])
    summary = _text(page, ".triangle-summary")
    assert "US-CN" in summary and f"({after_value:+.2f})" in summary
    assert "Your triangle." in summary
    assert shown_state(page, root)["us_cn"] == pytest.approx(after_value)
    # The edge label in the picture shows the new score.
    (label,) = drawn_texts(page, root, "edge-label", "US-CN")
    assert f"{abs(after_value):.2f}" in label
    gallery.screenshot("triangle-after-keyboard", page.locator(".triangle-explorer"))

    shown = picture(page, root)
    page.locator(".triangle-preset-1972").click()
    wait_picture_change(page, root, shown)
    page.wait_for_function("() => document.querySelector('.triangle-summary').textContent.includes('1972')")
    summary = _text(page, ".triangle-summary")
    assert summary.startswith("1972 (coded relations).")
    assert "The configuration is a" in summary or "undetermined" in summary
    desc = page.locator(".triangle-figure svg desc").text_content()
    assert desc and desc in summary  # the picture's text alternative is the summary
    gallery.screenshot("triangle-after-preset-1972", page.locator(".triangle-explorer"))


def test_every_control_moves_the_picture_by_keyboard_and_by_mouse(gallery):
    page = gallery.page
    assert len(all_controls(timeline_categories(page))) >= 20
    assert drive_every_control(page, settle=gallery.wait_kernel_idle) == []
    assert gallery.widget_errors() == []


def test_the_other_explorers_answer_the_keyboard(gallery):
    page = gallery.page
    # Timeline: the coded-year slider, one year back.
    shown = picture(page, "timeline-explorer")
    page.locator(".timeline-year-slider .noUi-handle").press("ArrowLeft")
    wait_picture_change(page, "timeline-explorer", shown)
    year = page.locator(".timeline-year-slider .widget-readout").text_content().strip()
    page.wait_for_function("y => document.querySelector('.timeline-summary').textContent.includes(y)", arg=year)
    assert shown_state(page, "timeline-explorer")["year"] == int(year)
    gallery.screenshot("timeline-after-keyboard", page.locator(".timeline-explorer"))
    # Scenario: more steps.
    page.locator(".scenario-steps-slider .noUi-handle").press("Home")
    gallery.wait_kernel_idle()
    shown = picture(page, "scenario-explorer")
    page.locator(".scenario-steps-slider .noUi-handle").press("ArrowRight")
    wait_picture_change(page, "scenario-explorer", shown)
    steps = page.locator(".scenario-steps-slider .widget-readout").text_content().strip()
    page.wait_for_function("n => document.querySelector('.scenario-summary').textContent.includes(`Over ${n} steps`)",
                           arg=steps)
    gallery.screenshot("scenario-after-keyboard", page.locator(".scenario-explorer"))
    # Evidence: the first claim, then the next one, by keyboard.
    page.locator(".evidence-claim-dropdown select").select_option(index=0)
    gallery.wait_kernel_idle()
    before = _text(page, ".evidence-summary")
    choose_in_menu(page.locator(".evidence-claim-dropdown select"), "ArrowDown")
    page.wait_for_function("old => document.querySelector('.evidence-summary').textContent !== old", arg=before)
    assert _text(page, ".evidence-summary").startswith("Claim C02")
    assert shown_state(page, "evidence-explorer")["claim"] == "C02"
    gallery.screenshot("evidence-after-keyboard", page.locator(".evidence-explorer"))
    assert gallery.widget_errors() == []


# The browser's own clock: keydown (event.timeStamp) to the frame after the new <svg> appears.
_INSTALL_PROBE = """
([key, outputSelector]) => {
  window.__latency = window.__latency || {};
  const record = {keys: [], pictures: []};
  window.__latency[key] = record;
  document.addEventListener('keydown', e => record.keys.push(e.timeStamp), true);
  const output = document.querySelector(outputSelector);
  let last = output.querySelector('svg')?.outerHTML;
  new MutationObserver(() => {
    const svg = output.querySelector('svg');
    if (svg && svg.outerHTML !== last) {
      last = svg.outerHTML;
      requestAnimationFrame(() => record.pictures.push(performance.now()));
    }
  }).observe(output, {subtree: true, childList: true, attributes: true, characterData: true});
}
"""

LATENCY_CASES = [  # label, explorer root, focusable control, keys to alternate
    ("TriangleExplorer US–China slider", "triangle-explorer", ".triangle-us-cn-slider .noUi-handle",
     ("ArrowLeft", "ArrowRight")),
    ("TimelineExplorer coded-year slider", "timeline-explorer", ".timeline-year-slider .noUi-handle",
     ("ArrowLeft", "ArrowRight")),
    ("TimelineExplorer years range slider", "timeline-explorer", ".timeline-years-slider .noUi-handle",
     ("ArrowRight", "ArrowLeft")),
    ("ScenarioExplorer steps slider", "scenario-explorer", ".scenario-steps-slider .noUi-handle",
     ("ArrowRight", "ArrowLeft")),
    ("EvidenceExplorer claim menu", "evidence-explorer", ".evidence-claim-dropdown select",
     ("ArrowDown", "ArrowUp")),
]


def test_record_keypress_to_picture_latency(gallery, write_artifact):
    page = gallery.page
    results: dict = {"written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                     "what": "keydown -> first frame showing the new picture (inline <svg>), in JupyterLab "
                             "4.6 with Chromium (browser clock), one key at a time"}
    for label, root, control, keys in LATENCY_CASES:
        page.evaluate(_INSTALL_PROBE, [label, f".{root} .{EXPLORERS[root]}-figure"])
        target = page.locator(control).first
        samples = []
        for i in range(LATENCY_SAMPLES):
            seen = page.evaluate("k => window.__latency[k].pictures.length", label)
            if control.endswith("select"):
                choose_in_menu(target, keys[i % 2])  # timed from the Enter that commits
            else:
                target.press(keys[i % 2])
            page.wait_for_function("([k, n]) => window.__latency[k].pictures.length > n",
                                   arg=[label, seen], timeout=15_000)
            gallery.wait_kernel_idle()
            record = page.evaluate("k => window.__latency[k]", label)
            samples.append(round(record["pictures"][-1] - record["keys"][-1], 1))
        ordered = sorted(samples)
        results[label] = {"samples_ms": samples, "median_ms": round(statistics.median(samples), 1),
                          "p95_ms": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]}
    write_artifact("browser-latency.json", results)
    assert gallery.widget_errors() == []


# A drag: mouse moves (browser clock) and every new picture with the state it shows.
_DRAG_PROBE = """
(outputSelector) => {
  const record = {moves: [], pictures: []};
  window.__drag = record;
  if (!window.__dragListening) {
    document.addEventListener('mousemove', e => { if (e.buttons) window.__drag.moves.push(e.timeStamp); }, true);
    window.__dragListening = true;
  }
  const output = document.querySelector(outputSelector);
  let last = output.querySelector('svg')?.getAttribute('data-state');
  const observer = new MutationObserver(() => {
    const state = output.querySelector('svg')?.getAttribute('data-state');
    if (state && state !== last) {
      last = state;
      requestAnimationFrame(() => record.pictures.push([performance.now(), state]));
    }
  });
  observer.observe(output, {subtree: true, childList: true, attributes: true, characterData: true});
  window.__dragObserver?.disconnect();
  window.__dragObserver = observer;
}
"""


def test_a_quick_drag_settles_on_the_final_value(gallery, write_artifact):
    """20 mouse moves in about 200 ms on the US–China slider: the picture must end on the value
    the hand stopped at; the time from the last move to that picture is recorded."""
    page = gallery.page
    root, slider = "triangle-explorer", ".triangle-us-cn-slider"
    settles, spans, pictures = [], [], []
    for _ in range(DRAGS):
        page.evaluate(_DRAG_PROBE, f".{root} .triangle-figure")
        quick_drag(page, f"{slider} .noUi-handle", moves=DRAG_MOVES, pixels_per_move=5.0, interval_ms=10)
        final = _readout(page, slider)
        try:
            page.wait_for_function(  # the frame that shows the final value has been recorded
                "v => window.__drag.pictures.some(([t, s]) => Math.abs(JSON.parse(s).us_cn - v) < 1e-9)",
                arg=final, timeout=15_000)
        except Exception:
            raise AssertionError(f"the picture never showed {final}: {page.evaluate('() => window.__drag')}, "
                                 f"now {picture(page, root)[0]}; readout {_readout(page, slider)}; "
                                 f"summary {_text(page, '.triangle-summary')[:200]}; figures "
                                 f"{page.locator('.triangle-figure').count()}") from None
        gallery.wait_kernel_idle()
        record = page.evaluate("() => window.__drag")
        assert len(record["moves"]) >= DRAG_MOVES
        landed = [t for t, state in record["pictures"] if abs(json.loads(state)["us_cn"] - final) < 1e-9]
        settles.append(round(landed[-1] - record["moves"][-1], 1))
        spans.append(round(record["moves"][-1] - record["moves"][0], 1))
        pictures.append(len(record["pictures"]))
        assert shown_state(page, root)["us_cn"] == pytest.approx(final)  # it stayed on the final value
    write_artifact("browser-drag.json", {
        "written": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "what": f"TriangleExplorer US–China slider in JupyterLab: {DRAG_MOVES} mouse moves 10 ms apart per "
                "drag (dispatched in the page); last move -> first frame showing the final value (browser clock)",
        "drag: last move -> final picture": {"samples_ms": settles,
                                             "median_ms": round(statistics.median(settles), 1)},
        "drag_span_ms": spans, "pictures_per_drag": pictures})
    assert gallery.widget_errors() == []
