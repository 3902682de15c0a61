"""Every control of every explorer, and how to move it by keyboard and by mouse in a real page.

Shared by the JupyterLab gallery tests and the Voila projector test: the explorers carry the same
CSS classes in both.  The picture is an inline <svg> in the part ``.<prefix>-figure``; its
``data-state`` attribute is the widget state it shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

EXPLORERS = {  # root class -> CSS prefix of its parts
    "triangle-explorer": "triangle",
    "timeline-explorer": "timeline",
    "scenario-explorer": "scenario",
    "evidence-explorer": "evidence",
}


@dataclass(frozen=True)
class Control:
    root: str         # the explorer's root class
    css: str          # the control's class
    kind: str         # slider, checkbox, dropdown or button
    mouse_css: str = ""  # for buttons: another button for the mouse (the same one would not change it)
    min_width: int = 0   # the least on-screen width at which it is usable, in CSS pixels

    @property
    def prefix(self) -> str:
        return EXPLORERS[self.root]

    @property
    def label(self) -> str:
        return f"{self.prefix}: {self.css.removeprefix(self.prefix + '-')}"


def all_controls(categories: list[str]) -> list[Control]:
    """``categories``: the timeline's category names (from the data)."""
    t, tl, sc, ev = EXPLORERS
    controls = [Control(t, f"triangle-{d}-slider", "slider", min_width=250) for d in ("us-cn", "us-ru", "cn-ru")]
    controls.append(Control(t, "triangle-preset-1972", "button", mouse_css="triangle-preset-1950", min_width=40))
    controls.append(Control(tl, "timeline-years-slider", "slider", min_width=300))
    controls += [Control(tl, f"timeline-actor-{a}", "checkbox", min_width=60) for a in ("us", "cn", "ru")]
    controls += [Control(tl, f"timeline-category-{c.replace(' ', '-')}", "checkbox", min_width=60)
                 for c in categories]
    controls.append(Control(tl, "timeline-year-slider", "slider", min_width=300))
    controls += [Control(sc, "scenario-scenario-dropdown", "dropdown", min_width=250),
                 Control(sc, "scenario-start-dropdown", "dropdown", min_width=150)]
    controls += [Control(sc, f"scenario-start-{d}-slider", "slider", min_width=250) for d in ("us-cn", "us-ru", "cn-ru")]
    controls += [Control(sc, f"scenario-{name}-slider", "slider", min_width=250)
                 for name in ("steps", "push", "cohesion")]
    controls.append(Control(ev, "evidence-claim-dropdown", "dropdown", min_width=250))
    return controls


def timeline_categories(page) -> list[str]:
    """The timeline's category names, read from its boxes' classes (they come from the data)."""
    return page.eval_on_selector_all(
        ".timeline-explorer .widget-checkbox",
        "els => els.flatMap(e => [...e.classList].filter(c => c.startsWith('timeline-category-'))"
        ".map(c => c.slice('timeline-category-'.length).replace(/-/g, ' ')))")


def drive_every_control(page, settle=None) -> list[str]:
    """Move every control of every explorer by keyboard, then by mouse; return what failed to
    change its explorer's picture (and the state it shows). ``settle()`` runs after each move."""
    failures = []
    for control in all_controls(timeline_categories(page)):
        for how, move in (("keyboard", by_keyboard), ("mouse", by_mouse)):
            before = picture(page, control.root)
            move(page, control)
            try:
                after = wait_picture_change(page, control.root, before)
            except Exception as exc:
                failures.append(f"{control.label} by {how}: the picture did not change ({type(exc).__name__})")
                continue
            if after[0] == before[0]:
                failures.append(f"{control.label} by {how}: the picture's state did not change")
            if settle is not None:
                settle()
    return failures


def picture_selector(root: str) -> str:
    return f".{root} .{EXPLORERS[root]}-figure svg"


def picture(page, root: str) -> tuple[str, str]:
    """(data-state, the whole <svg>) of an explorer's picture."""
    return page.eval_on_selector(picture_selector(root), "s => [s.getAttribute('data-state'), s.outerHTML]")


def wait_picture_change(page, root: str, before: tuple[str, str], timeout: float = 15_000) -> tuple[str, str]:
    page.wait_for_function(
        "([sel, old]) => { const s = document.querySelector(sel); return s && s.outerHTML !== old; }",
        arg=[picture_selector(root), before[1]], timeout=timeout)
    return picture(page, root)


def drawn_texts(page, root: str, role: str, key: str) -> list[str]:
    """The texts of one role and key in an explorer's picture (a key sits on the element, or on
    its <g> when the element has none)."""
    return page.eval_on_selector_all(
        f"{picture_selector(root)} g[data-role='{role}'] text",
        "(els, key) => els.filter(t => (t.getAttribute('data-key') || t.parentNode.getAttribute('data-key')) === key)"
        ".map(t => t.textContent)", key)


def shown_state(page, root: str) -> dict:
    return json.loads(picture(page, root)[0])


def _focusable(page, control: Control):
    base = f".{control.root} .{control.css}"
    if control.kind == "slider":
        return page.locator(f"{base} .noUi-handle").first
    if control.kind == "checkbox":
        return page.locator(f"{base} input[type=checkbox]")
    if control.kind == "dropdown":
        return page.locator(f"{base} select")
    return page.locator(f"{base}").first  # a Button widget is the <button> itself


def by_keyboard(page, control: Control) -> None:
    """Move the control one step with the keyboard only."""
    target = _focusable(page, control)
    if control.kind == "slider":
        at_max = target.evaluate("h => h.getAttribute('aria-valuenow') === h.getAttribute('aria-valuemax')")
        target.press("ArrowLeft" if at_max else "ArrowRight")
    elif control.kind == "checkbox":
        target.focus()
        target.press("Space")
    elif control.kind == "dropdown":
        last = target.evaluate("s => s.selectedIndex === s.options.length - 1")
        choose_in_menu(target, "ArrowUp" if last else "ArrowDown")
    else:
        target.focus()
        target.press("Enter")


def choose_in_menu(select, key: str) -> None:
    """A closed menu loses plain arrows to JupyterLab (ipywidgets#3912): open it first, as the
    widgets' hint tells students."""
    select.focus()
    select.press("Alt+ArrowDown")
    select.press(key)
    select.press("Enter")


def by_mouse(page, control: Control) -> None:
    """Move the control with the mouse: drag a slider's handle, click a box or a button, pick
    another entry of a menu (Playwright selects it as a user's click on the open list would)."""
    target = _focusable(page, control)
    if control.kind == "slider":
        drag_handle(page, target, steps=8)
    elif control.kind == "checkbox":
        target.click()
    elif control.kind == "dropdown":
        index = target.evaluate("s => s.selectedIndex === 0 ? 1 : 0")
        target.select_option(index=index)
    else:
        page.locator(f".{control.root} .{control.mouse_css}").first.click()


def drag_handle(page, handle, steps: int, pixels_per_step: float = 6.0) -> None:
    """Press on a slider's handle and drag it ``steps`` moves towards the track's middle (sent in
    one go by Playwright's driver, so that they come as fast as a hand's)."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    track = handle.locator("xpath=ancestor::*[contains(@class,'noUi-target')][1]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    direction = 1 if x < track["x"] + track["width"] / 2 else -1
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + direction * pixels_per_step * steps, y, steps=steps)
    page.mouse.up()


# A hand's drag, dispatched inside the page: mouse events 10 ms apart (Playwright's own mouse
# waits for each event to be handled, which in a busy JupyterLab page spaces them 20-40 ms apart).
# ipywidgets' slider (noUiSlider) listens to mouse events in Chromium.
_QUICK_DRAG = """
([selector, moves, pixels, interval]) => new Promise(resolve => {
  const handle = document.querySelector(selector);
  const box = handle.getBoundingClientRect();
  const track = handle.closest('.noUi-target').getBoundingClientRect();
  const x0 = box.x + box.width / 2, y = box.y + box.height / 2;
  const direction = x0 < track.x + track.width / 2 ? 1 : -1;
  const fire = (type, x, buttons) => handle.dispatchEvent(new MouseEvent(type, {
    bubbles: true, cancelable: true, composed: true, view: window,
    clientX: x, clientY: y, screenX: x, screenY: y, button: 0, buttons}));
  fire('mousedown', x0, 1);
  let i = 0;
  const step = () => {
    i += 1;
    fire('mousemove', x0 + direction * pixels * i, 1);
    if (i < moves) { setTimeout(step, interval); }
    else { setTimeout(() => { fire('mouseup', x0 + direction * pixels * i, 0); resolve(); }, 0); }
  };
  setTimeout(step, interval);
})
"""


def quick_drag(page, handle_selector: str, moves: int = 20, pixels_per_move: float = 5.0,
               interval_ms: float = 10.0) -> None:
    """``moves`` mouse moves ``interval_ms`` apart on a slider's handle, as a quick hand makes."""
    page.locator(handle_selector).first.scroll_into_view_if_needed()
    page.evaluate(_QUICK_DRAG, [handle_selector, moves, pixels_per_move, interval_ms])
