"""What every explorer widget shares.

* One figure per widget, redrawn in place and shown in an ``Output`` as a PNG
  ``<img>``.  The Output's content is *replaced* (``output.outputs = (...)``)
  rather than captured with ``with output:``, so a figure can never land in
  another widget's Output however callbacks interleave.
* One ``Output`` for errors: an exception in a callback is caught and shown
  there with its traceback, never lost (ipywidgets#2612).
* Validation helpers whose ``ValueError`` names the widget, the control and
  the allowed values.
* A readable ``state`` and a validated ``set_state(**values)``, so tests and
  exercises can drive a widget from code.
* A static fallback: the widget's mimebundle also carries ``text/plain`` (the
  summary), ``image/png`` (the current figure) and ``text/html`` (both), so
  GitHub, nbviewer and static HTML show a figure and its text alternative.
"""

from __future__ import annotations

import base64
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

from ..plotting import FastRenderer, new_figure

__all__ = ["Explorer", "ScoreSlider", "MENU_KEYS_HINT", "LABEL_STYLE", "aligned_labels",
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
    """Base of the four explorers.  Subclasses set the class attributes, build
    their controls, call ``_watch`` on each and implement ``_update``,
    ``summary_text``, ``state`` and ``_apply_state``."""

    widget_name: ClassVar[str] = "Explorer"
    css_prefix: ClassVar[str] = "explorer"
    figsize: ClassVar[tuple[float, float]] = (6.0, 4.0)
    dpi: ClassVar[float] = 80

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.figure = new_figure(*self.figsize, dpi=self.dpi)
        self.renderer = FastRenderer(self.figure)  # subclasses may give it regions
        self.figure_output = self._part(widgets.Output(), "figure")
        self.error_output = self._part(widgets.Output(), "errors")
        self.add_class(f"{self.css_prefix}-explorer")
        self.add_class("triangles-explorer")
        self._hold_depth = 0
        self._lock = threading.RLock()  # one redraw at a time, whatever thread calls
        self._png = b""
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

            def run() -> None:
                with self.hold():
                    if before is not None:
                        before(change)
            self._safely(label, run)
        control.observe(on_change, names="value")

    def _on_click(self, button: widgets.Button, label: str, action: Callable[[], None]) -> None:
        button.on_click(lambda _button: self._safely(label, action))

    @contextmanager
    def hold(self):
        """Change several controls, then redraw once at the end."""
        with self._lock:
            self._hold_depth += 1
            try:
                yield
            finally:
                self._hold_depth -= 1
            if self._hold_depth == 0:
                self.refresh()

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
        """Recompute everything from the controls and redraw the one figure."""
        with self._lock:
            self._update()
            self._png = self._render_png()
            self.redraw_count += 1
            self.figure_output.outputs = (self._figure_bundle(self.summary_text),)

    def _update(self) -> None:
        """Recompute from the controls; update the artists and the text widgets."""
        raise NotImplementedError

    def _render_png(self) -> bytes:
        dynamic = self._dynamic_artists()
        if dynamic is None:
            self.renderer.invalidate()  # everything may have changed: draw it all
            dynamic = []
        return self.renderer.png(dynamic, self._layout_key())

    def _dynamic_artists(self) -> list | None:
        """Artists that ``_update`` changes; None means "redraw everything"."""
        return None

    def _layout_key(self) -> object:
        """Anything that, when it changes, needs a full redraw (e.g. axis limits)."""
        return None

    @property
    def figure_png(self) -> bytes:
        """PNG bytes of the figure as last drawn."""
        return self._png

    def _img_tag(self, text: str) -> str:
        data = base64.b64encode(self._png).decode("ascii")
        state = json.dumps(self.state, sort_keys=True, default=str)
        return (f'<img class="triangles-figure-img" src="data:image/png;base64,{data}" '
                f'alt="{html.escape(text)}" '
                f'data-widget="{self.widget_name}" data-state="{html.escape(state)}" '
                f'data-redraw="{self.redraw_count}" style="max-width:100%;height:auto"/>')

    def _figure_bundle(self, text: str) -> dict:
        """The Output's content: the figure as an <img> whose alt text is the summary."""
        return {
            "output_type": "display_data",
            "data": {"text/html": self._img_tag(text), "text/plain": text},
            "metadata": {},
        }

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
        bundle["text/plain"] = text
        bundle["image/png"] = base64.b64encode(self._png).decode("ascii")
        bundle["text/html"] = (f"<figure>{self._img_tag(text)}<figcaption>"
                               f"{html.escape(text)}</figcaption></figure>")
        return bundle


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
