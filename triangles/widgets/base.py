"""What every explorer widget shares.

* One picture per widget, drawn by the browser: the explorer builds a *scene* (a list of drawing
  elements, ``triangles.scene``) and sends it as a compact SVG string in an ``HTML`` widget (class
  ``<prefix>-figure``).  Only that string travels per change, a few KiB; it is a trait of the
  explorer's own widget, so it can never land in another widget's output.
* A drag never queues: a change from the browser records itself and schedules ONE redraw on the
  kernel's event loop (``loop.call_soon``); the redraw reads the controls as they are when it runs,
  so the values a quick drag passed over are skipped, not drawn one by one.  Changes made from code
  (``set_state``, a preset, or with no event loop running) redraw at once.
* One ``Output`` for errors: an exception in a callback is caught and shown there with its
  traceback, never lost (ipywidgets#2612).
* Validation helpers whose ``ValueError`` names the widget, the control and the allowed values.
* A readable ``state`` and a validated ``set_state(**values)``, so tests and exercises can drive a
  widget from code.
* A static fallback: the widget's mimebundle also carries ``text/plain`` (the summary),
  ``image/svg+xml`` (the picture as it was when the cell ran, for print and for a run without a
  browser) and ``text/html`` (both), so GitHub, nbviewer and static HTML show a picture and its text
  alternative.  Building it needs no matplotlib, so showing an explorer never imports it; the same
  scene as a PNG (drawn by matplotlib, for LaTeX/PDF export) is ``figure_png``, made on demand.
* Layouts with explicit widths and flex settings, so that the controls keep a usable width in
  JupyterLab and in Voila's default template (where a flexible picture once squeezed them to 0 px).
"""

from __future__ import annotations

import asyncio
import html
import json
import math
import numbers
import threading
import traceback
from contextlib import contextmanager
from typing import Any, Callable, ClassVar, Iterable, Mapping

import ipywidgets as widgets
import traitlets

from ..scene import Scene
from ..scene_figure import scene_png
from ..svg import scene_svg

__all__ = ["Explorer", "ScoreSlider", "MENU_KEYS_HINT", "LABEL_STYLE", "aligned_labels", "controls_box",
           "picture_row",
           "check_number", "check_int", "check_int_range", "check_choice", "check_choices", "count",
           "readable", "summary_html"]

#: Show slider and dropdown labels in full (the default width truncates them).
LABEL_STYLE = {"description_width": "initial"}


def aligned_labels(width_px: int) -> dict:
    """One label width for a group of sliders, so that their tracks line up.  Pick it wide
    enough for the longest label: the label must stay visible in full."""
    return {"description_width": f"{width_px}px"}
MAX_ERRORS_SHOWN = 5
#: In JupyterLab a closed menu does not get the arrow keys (they move between cells,
#: ipywidgets#3912); opening it first works.
MENU_KEYS_HINT = "Keyboard: Space or Alt+↓ opens a menu, arrows choose, Enter confirms."


class ScoreSlider(widgets.FloatSlider):
    """A FloatSlider for scores in [-1, 1] that drops the browser's float noise.

    The browser's slider snaps to its step and sends the value back computed in
    floating point (0.2 comes back as 0.19999999999999996), which would move a
    score that sits exactly on the neutral band across it.  Rounding to 10
    decimals restores the value that was meant.
    """

    @traitlets.validate("value")
    def _validate_value(self, proposal):
        return round(super()._validate_value(proposal), 10)

    def _should_send_property(self, key, value):
        # The rounded value is not sent back: ipywidgets would send it as an "update", which the
        # browser applies even when the hand has moved on, so a quick drag would snap back to a
        # value it passed (the browser's own value differs only in float noise).
        sent = self._property_lock.get(key) if key == "value" else None
        if isinstance(sent, (int, float)) and not isinstance(sent, bool) and round(sent, 10) == value:
            if self._holding_sync:
                self._states_to_send.discard(key)
            return False
        return super()._should_send_property(key, value)


# --------------------------------------------------------------------------
# validation: every message names widget, control and the allowed values


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_number(widget: str, control: str, value: object, low: float, high: float) -> float:
    if not _is_real(value) or not math.isfinite(float(value)) or not low <= float(value) <= high:
        raise ValueError(f"{widget}: {control} must be a number from {low:g} to {high:g}; "
                         f"got {value!r}")
    return float(value)


def check_int(widget: str, control: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not low <= value <= high:
        raise ValueError(f"{widget}: {control} must be a whole number from {low} to {high}; "
                         f"got {value!r}")
    return int(value)


def check_int_range(widget: str, control: str, value: object, low: int, high: int) -> tuple[int, int]:
    allowed = f"a pair (first, last) of whole numbers with {low} <= first <= last <= {high}"
    try:
        first, last = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"{widget}: {control} must be {allowed}; got {value!r}") from None
    ok = all(not isinstance(v, bool) and isinstance(v, numbers.Integral) for v in (first, last))
    if not ok or not low <= first <= last <= high:
        raise ValueError(f"{widget}: {control} must be {allowed}; got {value!r}")
    return int(first), int(last)


def check_choice(widget: str, control: str, value: object, allowed: Iterable[object]) -> Any:
    allowed = list(allowed)
    if value not in allowed:
        shown = ", ".join(repr(a) for a in allowed)
        raise ValueError(f"{widget}: {control} must be one of {shown}; got {value!r}")
    return value


def check_choices(widget: str, control: str, values: object, allowed: Iterable[object]) -> tuple:
    allowed = list(allowed)
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValueError(f"{widget}: {control} must be a list drawn from "
                         f"{', '.join(repr(a) for a in allowed)}; got {values!r}")
    values = tuple(values)
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"{widget}: {control} may only contain "
                         f"{', '.join(repr(a) for a in allowed)}; got unknown {unknown!r}")
    return tuple(a for a in allowed if a in values)  # canonical order, no duplicates


# --------------------------------------------------------------------------
# the base class


class Explorer(widgets.VBox):
    """Base of the four explorers.  Subclasses set the class attributes, build their controls,
    call ``_watch`` on each and implement ``_update`` (text widgets, and the picture's scene),
    ``summary_text``, ``state`` and ``_apply_state``."""

    widget_name: ClassVar[str] = "Explorer"
    css_prefix: ClassVar[str] = "explorer"
    #: False: every browser change redraws at once, one redraw per change (tests compare the two).
    coalesce: ClassVar[bool] = True

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("layout", widgets.Layout(width="100%"))
        super().__init__(**kwargs)
        self.picture = self._part(widgets.HTML(layout=widgets.Layout(
            flex="1 1 auto", min_width="0", max_width="100%", overflow="hidden")), "figure")
        self.picture.add_class("triangles-picture")
        self.error_output = self._part(widgets.Output(), "errors")
        self.add_class(f"{self.css_prefix}-explorer")
        self.add_class("triangles-explorer")
        self._hold_depth = 0
        self._lock = threading.RLock()  # one redraw at a time, whatever thread calls
        self._redraw_pending = False
        self._pending_label = ""
        self._next_redraw_at = 0.0  # on the event loop's clock
        self.scene: Scene | None = None
        self._png: tuple[Scene | None, bytes] = (None, b"")
        self.redraw_count = 0

    # ---- parts and wiring

    def _part(self, widget: widgets.Widget, name: str) -> widgets.Widget:
        """Tag a part with a CSS class, e.g. "triangle-summary"; tests select on it."""
        widget.add_class(f"{self.css_prefix}-{name}")
        return widget

    def _watch(self, control: widgets.Widget, label: str,
               before: Callable[[dict], None] | None = None) -> None:
        """Redraw when ``control`` changes; ``before`` may adjust other controls first."""
        def on_change(change: dict) -> None:
            if self._hold_depth:
                return  # a batch is in progress; it redraws once at its end
            if before is not None:
                def run() -> None:
                    with self._held():
                        before(change)
                self._safely(label, run)
            self._request_redraw(label)
        control.observe(on_change, names="value")

    def _on_click(self, button: widgets.Button, label: str, action: Callable[[], None]) -> None:
        button.on_click(lambda _button: self._safely(label, action))

    @contextmanager
    def _held(self):
        """Change several controls without redrawing."""
        with self._lock:
            self._hold_depth += 1
            try:
                yield
            finally:
                self._hold_depth -= 1

    @contextmanager
    def hold(self):
        """Change several controls, then redraw once at the end."""
        with self._held():
            yield
        if self._hold_depth == 0:
            self.refresh()

    def _request_redraw(self, label: str) -> None:
        """Coalesce: with an event loop running (the kernel's), schedule one redraw for however
        many changes arrive before it runs; without one, redraw now.

        The redraw runs on the loop's next turn, or, right after a redraw, once as much time has
        passed as that redraw took: while a slow redraw (a busy machine) is under way, the changes
        that arrive meanwhile are only recorded, and the next redraw shows the latest of them."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or not self.coalesce:
            self._safely(label, self.refresh)
            return
        self._pending_label = label
        if not self._redraw_pending:
            self._redraw_pending = True
            wait = self._next_redraw_at - loop.time()
            if wait > 0:
                loop.call_later(wait, self._redraw_now, loop)
            else:
                loop.call_soon(self._redraw_now, loop)

    def _redraw_now(self, loop: asyncio.AbstractEventLoop) -> None:
        self._redraw_pending = False
        started = loop.time()
        self._safely(self._pending_label, self.refresh)
        finished = loop.time()
        self._next_redraw_at = finished + (finished - started)

    def _safely(self, label: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # shown to the student, never swallowed
            self._report_error(label, exc)

    def _report_error(self, label: str, exc: BaseException) -> None:
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        message = (f"{self.widget_name} could not update after a change to {label}: "
                   f"{type(exc).__name__}: {exc}")
        entry = {
            "output_type": "display_data",
            "data": {
                "text/plain": message + "\n" + details,
                "text/html": (
                    f'<div class="triangles-error" style="color:#a00000">'
                    f"<strong>{html.escape(message)}</strong>"
                    f"<details><summary>technical details</summary>"
                    f"<pre>{html.escape(details)}</pre></details></div>"),
            },
            "metadata": {},
        }
        self.error_output.outputs = (self.error_output.outputs + (entry,))[-MAX_ERRORS_SHOWN:]

    @property
    def errors(self) -> list[str]:
        """The error messages now shown in the error Output (plain text)."""
        return [o["data"]["text/plain"] for o in self.error_output.outputs]

    # ---- drawing

    def refresh(self) -> None:
        """Recompute everything from the controls and send the new picture."""
        with self._lock:
            scene = self._update()
            self.scene = scene
            self.redraw_count += 1
            self.picture.value = self.svg

    def _update(self) -> Scene:
        """Recompute from the controls, update the text widgets and return the picture's scene."""
        raise NotImplementedError

    @property
    def svg(self) -> str:
        """The picture as drawn in the browser: an <svg> whose data attributes name the widget
        and the state it shows."""
        state = json.dumps(self.state, sort_keys=True, default=str)
        return scene_svg(self.scene, data={"widget": self.widget_name, "state": state})

    @property
    def figure_png(self) -> bytes:
        """The static picture (PNG): the current scene drawn by matplotlib, made on demand."""
        scene, png = self._png
        if scene is not self.scene:
            png = scene_png(self.scene)
            self._png = (self.scene, png)
        return png

    # ---- text, state

    @property
    def summary_text(self) -> str:
        raise NotImplementedError

    @property
    def state(self) -> dict[str, Any]:
        raise NotImplementedError

    def set_state(self, sync_data: dict | None = None, /, **values: Any) -> None:
        """Set several controls at once and redraw once, e.g.
        ``explorer.set_state(us_cn=0.5)``.  Raises ValueError (naming the
        widget, the control and the allowed values) before changing anything
        if any value is not allowed.

        (ipywidgets itself calls ``set_state(sync_data)`` with one dict to apply
        updates from the browser; that call is passed on unchanged.)
        """
        if sync_data is not None:
            super().set_state(sync_data)
            return
        unknown = sorted(set(values) - set(self.state))
        if unknown:
            raise ValueError(f"{self.widget_name}: unknown state keys {unknown}; "
                             f"allowed: {', '.join(self.state)}")
        checked = self._validate_state(values)
        self._safely("its state (set_state)", lambda: self._set_checked(checked))

    def _set_checked(self, checked: Mapping[str, Any]) -> None:
        with self.hold():
            self._apply_state(checked)

    def _validate_state(self, values: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def _apply_state(self, checked: Mapping[str, Any]) -> None:
        raise NotImplementedError

    # ---- static fallback

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        text = self.summary_text
        picture = self.svg
        bundle["text/plain"] = text
        bundle["image/svg+xml"] = picture
        bundle["text/html"] = (f'<figure class="triangles-figure-static">{picture}<figcaption>'
                               f"{html.escape(text)}</figcaption></figure>")
        return bundle


def controls_box(children: list, width_px: int) -> widgets.VBox:
    """A column of controls that keeps its width: it never shrinks below ``width_px``, however
    much room a picture beside it asks for (Voila's default template gave it 0 px)."""
    return widgets.VBox(children, layout=widgets.Layout(
        width=f"{width_px}px", min_width=f"{width_px}px", flex="0 0 auto"))


def picture_row(controls: widgets.Widget, picture: widgets.Widget) -> widgets.HBox:
    """Controls on the left, the picture beside them; on a narrow page the picture moves below."""
    return widgets.HBox([controls, picture], layout=widgets.Layout(
        flex_flow="row wrap", align_items="flex-start", width="100%"))


def count(n: int, noun: str, plural: str | None = None) -> str:
    """'1 event', '3 events'."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def readable(inner_html: str) -> str:
    """Wrap text for an HTML widget with a normal line height: ipywidgets' default (the
    height of a control, 28 px) makes paragraphs look double-spaced."""
    return f'<div class="triangles-text" style="line-height:1.45">{inner_html}</div>'


def summary_html(heading: str, text: str) -> str:
    """A short bold heading followed by the text, both escaped."""
    return readable(f"<p><strong>{html.escape(heading)}</strong> {html.escape(text)}</p>")
