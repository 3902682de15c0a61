"""The grading desk: score one free-response question across all students, in JupyterLab.

    from triangles.widgets.desk import GradingDesk
    GradingDesk("grading-output", "ex02-5", anonymous=True)

It shows one answer at a time with the question's rubric, a score field and a comment field, and
writes the same manual sheets as a spreadsheet would (then grades.csv and the feedback). All logic
is in triangles.grading.desk.DeskModel; this is a thin view of it.

Keyboard: Tab moves "not scored yet" -> score -> comment -> "Save and next" -> "Previous" -> "Next"
-> student menu;
Enter or Space presses the focused button. "Save and next" goes to the next student without a
score. Every part carries a CSS class ``desk-*`` for tests.
"""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets

from ..grading.desk import DeskItem, DeskModel

__all__ = ["GradingDesk", "DeskModel", "DeskItem"]


def _markdown(text: str) -> str:
    """The rubric as HTML (its tables as tables); raw HTML in it is escaped. Plain text if the
    Markdown renderer that JupyterLab's nbconvert brings (mistune) is missing."""
    try:
        import mistune
    except ImportError:
        return f"<pre style='white-space:pre-wrap'>{html.escape(text)}</pre>"
    return mistune.create_markdown(escape=True, plugins=["table"])(text)


class GradingDesk(widgets.VBox):
    def __init__(self, out, exercise: str, anonymous: bool = False, course: Path | None = None):
        kwargs = {"course": course} if course is not None else {}
        self.model = DeskModel(out, exercise, anonymous=anonymous, **kwargs)
        self.header = widgets.HTML()
        self.header.add_class("desk-header")
        self.rubric = widgets.HTML(self._rubric_html())
        self.rubric.add_class("desk-rubric")
        self.answer = widgets.HTML()
        self.answer.add_class("desk-answer")
        self.score = widgets.BoundedFloatText(min=0, max=self.model.points, step=0.5,
                                              description=f"Score (0–{self.model.points:g})",
                                              style={"description_width": "initial"}, continuous_update=True,
                                              layout=widgets.Layout(width="14rem"))
        self.score.add_class("desk-score")
        self.blank = widgets.Checkbox(description="not scored yet", indent=False,
                                      layout=widgets.Layout(width="10rem"))
        self.blank.add_class("desk-blank")
        self.comment = widgets.Textarea(placeholder="Comment for the student (shown in their feedback)",
                                        continuous_update=False,  # synced on leaving the field, whole
                                        layout=widgets.Layout(width="100%", height="5rem"))
        self.comment.add_class("desk-comment")
        self.save_button = widgets.Button(description="Save and next", button_style="primary",
                                          tooltip="Save this score and comment, then go to the next unscored answer")
        self.save_button.add_class("desk-save")
        self.previous_button = widgets.Button(description="◀ Previous", tooltip="Previous student (not saved)")
        self.previous_button.add_class("desk-previous")
        self.next_button = widgets.Button(description="Next ▶", tooltip="Next student (not saved)")
        self.next_button.add_class("desk-next")
        self.jump = widgets.Dropdown(options=[(i.label, n) for n, i in enumerate(self.model.items)],
                                     description="Go to", layout=widgets.Layout(width="16rem"))
        self.jump.add_class("desk-jump")
        self.status = widgets.HTML()
        self.status.add_class("desk-status")
        self.save_button.on_click(lambda _: self._save())
        self.previous_button.on_click(lambda _: self._show(self.model.previous()))
        self.next_button.on_click(lambda _: self._show(self.model.next()))
        self.jump.observe(lambda change: self._show(self.model.go(change["new"])), names="value")
        self.blank.observe(lambda change: setattr(self.score, "disabled", change["new"]), names="value")
        buttons = widgets.HBox([self.save_button, self.previous_button, self.next_button, self.jump])
        super().__init__([self.header, self.rubric, self.answer,
                          widgets.HBox([self.blank, self.score]), self.comment, buttons, self.status],
                         layout=widgets.Layout(max_width="60rem"))
        self.add_class("grading-desk")
        if self.model.items:
            self._show(self.model.current)

    def _rubric_html(self) -> str:
        name = html.escape(self.model.rubric_name or "no rubric named")
        text = self.model.rubric_text
        body = _markdown(text) if text else ""
        return (f"<details open class='desk-rubric-text'><summary>Rubric: {name}</summary>"
                f"<div style='max-height:22rem;overflow:auto'>{body}</div></details>")

    def _show(self, item: DeskItem, note: str = "") -> None:
        m = self.model
        self.header.value = (f"<h3 style='margin:0'>{html.escape(m.exercise['id'])}: {html.escape(item.label)} "
                             f"({m.position + 1} of {len(m.items)})</h3>"
                             f"<p style='margin:0'>{m.scored} of {len(m.items)} scored"
                             f"{' · anonymous: names hidden' if m.anonymous else ''}</p>")
        text = item.answer if item.answer.strip() else "(blank answer)"
        self.answer.value = ("<p style='margin:.5rem 0 0 0'><strong>Answer</strong></p>"
                             "<pre style='white-space:pre-wrap;border-left:4px solid #555;padding:.4rem .6rem'>"
                             f"{html.escape(text)}</pre>")
        self.blank.value = item.score is None
        self.score.value = 0.0 if item.score is None else item.score
        self.comment.value = item.comment
        if self.jump.value != m.position:
            self.jump.value = m.position
        self.status.value = f"<p role='status'>{html.escape(note)}</p>" if note else ""

    def _save(self) -> None:
        item = self.model.current
        try:
            self.model.save(None if self.blank.value else float(self.score.value), self.comment.value)
        except ValueError as exc:
            self.status.value = f"<p role='alert'><strong>Not saved:</strong> {html.escape(str(exc))}</p>"
            return
        saved = f"Saved {item.label}: {'not scored' if item.score is None else f'{item.score:g}'}."
        self._show(self.model.next_unscored(), note=saved)
