"""The class report: one HTML page, ``<out>/class-report.html``, built from the gradebook.

Per assignment: submissions, lateness and penalties, extensions, flags. Per question: a chart of
the score distribution, the share right, the most common wrong answers (after the kit's own
normalisation, so "0.25" and "0.250" count as one), and the flags raised on it.

Readable without colour: the bars are black outlines with a different hatching per score band and
their count written on them, and every chart has a table beside it with the same numbers. Usable
with the keyboard: a contents list of links, headings in order, focusable tables, no script.
Student-supplied text (the wrong answers) is escaped and cut short.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections import Counter
from pathlib import Path

from .feedback import esc
from .gradebook import Gradebook
from .report import fmt
from .store import write_text_atomic

TOP_WRONG = 5
HATCHES = ["////", "....", "xxxx", "\\\\\\\\", "oo", "++", "--", "**"]

STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fff;
 max-width:64rem;margin:1.5rem auto;padding:0 1rem}
h1{font-size:1.7rem} h2{font-size:1.35rem;margin-top:2.2rem;border-bottom:2px solid #1a1a1a}
h3{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;margin:.5rem 0} th,td{border:1px solid #555;padding:.2rem .6rem;text-align:left;
 vertical-align:top} caption{text-align:left;font-weight:600;padding-bottom:.2rem}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.question{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
.question img{border:1px solid #555;max-width:100%}
code{white-space:pre-wrap;word-break:break-word}
a:focus,table:focus{outline:3px solid #1a1a1a;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;border:2px solid}
"""


def question_stats(book: Gradebook, assignment: dict, exercise: dict) -> dict:
    cells = [book.grades[(s, assignment["assignment"])] for s in book.students]
    submitted = [g for g in cells if g.submitted]
    mine = [next(c for c in g.cells if c.exercise == exercise["id"]) for g in submitted]
    scored = [c for c in mine if c.score is not None]
    points = float(exercise["points"])
    full = sum(1 for c in scored if c.score >= points)
    wrong = Counter(c.verdict.get("form") for c in mine
                    if c.mode == "auto" and c.status == "incorrect" and c.verdict.get("form"))
    unanswered = sum(1 for c in mine if c.status == "unanswered")
    flags = Counter(f.split(":", 1)[1] for g in submitted for f in g.flags if f.endswith(f"({exercise['id']})"))
    return {"submitted": len(submitted), "scored": len(scored), "full": full,
            "share_right": full / len(scored) if scored else None,
            "distribution": Counter(c.score for c in scored), "points": points,
            "wrong": wrong.most_common(TOP_WRONG), "wrong_kinds": len(wrong), "unanswered": unanswered,
            "mean": sum(c.score for c in scored) / len(scored) if scored else None,
            "flags": flags, "pending": len(mine) - len(scored)}


def chart(stats: dict, title: str) -> str:
    """A PNG (data URI) of the score distribution: hatched, outlined, every bar labelled."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    scores = sorted(stats["distribution"])
    counts = [stats["distribution"][s] for s in scores]
    fig, ax = plt.subplots(figsize=(4.8, 2.6), dpi=110)
    try:
        bars = ax.bar([fmt(s) for s in scores] or ["-"], counts or [0], color="white", edgecolor="black",
                      linewidth=1.2)
        for i, bar in enumerate(bars):
            bar.set_hatch(HATCHES[i % len(HATCHES)])
            ax.annotate(str(counts[i]) if counts else "0", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                        ha="center", va="bottom", fontsize=10, fontweight="bold", xytext=(0, 2),
                        textcoords="offset points")
        ax.set_xlabel(f"score (out of {fmt(stats['points'])})")
        ax.set_ylabel("students")
        ax.set_title(title, fontsize=10)
        ax.set_ylim(0, max(counts or [1]) * 1.25 + 0.5)
        ax.yaxis.get_major_locator().set_params(integer=True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    finally:
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _alt(stats: dict, exercise_id: str) -> str:
    parts = [f"{stats['distribution'][s]} scored {fmt(s)}" for s in sorted(stats["distribution"])]
    return f"Bar chart of {exercise_id} scores: " + (", ".join(parts) if parts else "no scores yet") + "."


def render(book: Gradebook, when: str | None = None) -> str:
    when = when or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    toc, body = [], []
    for assignment in book.assignments:
        aid = assignment["assignment"]
        toc.append(f'<li><a href="#a-{esc(aid)}">{esc(aid)}</a><ul>' + "".join(
            f'<li><a href="#q-{esc(e["id"])}">{esc(e["id"])}</a></li>' for e in assignment["exercises"]) + "</ul></li>")
        body.append(_assignment_section(book, assignment))
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Class report</title><style>{STYLE}</style></head><body>",
        '<a class="skip" href="#main">Skip to the report</a>',
        '<nav aria-label="Contents"><h2 id="contents">Contents</h2><ul>' + "".join(toc) + "</ul></nav>",
        '<main id="main">', "<h1>Class report</h1>",
        f"<p>{len(book.students)} students; built {esc(when)} from the stored results, after overrides "
        "and the late policy. Scores are points; a question's share right counts full marks among the "
        "scored answers.</p>",
        *body, "</main></body></html>", ""])


def _assignment_section(book: Gradebook, assignment: dict) -> str:
    aid = assignment["assignment"]
    grades = [book.grades[(s, aid)] for s in book.students]
    submitted = [g for g in grades if g.submitted]
    late = [g for g in submitted if g.lateness.late]
    penalised = [g for g in late if g.penalty or g.lateness.cut_off]
    extended = [g for g in submitted if g.lateness.extension]
    flag_counts = Counter(f.split(":", 1)[1].split("(")[0] for g in grades for f in g.flags)
    possible = sum(float(e["points"]) for e in assignment["exercises"])
    finals = [g.final for g in submitted]
    rows = [("Submissions", f"{len(submitted)} of {len(grades)}"),
            ("Mean final score", f"{fmt(sum(finals) / len(finals))} / {fmt(possible)}" if finals else "–"),
            ("Late", f"{len(late)}" + (f" (longest {esc(_longest(late))})" if late else "")),
            ("Late penalty applied", f"{len(penalised)}; {esc(book.config.policy.rule_for(aid).describe())}"),
            ("With an extension", str(len(extended))),
            ("Needs a look (grader error)", str(sum(1 for g in grades if g.needs_look)))]
    summary = _table(f"{aid}: summary", ["", "value"], [[k, v] for k, v in rows], raw=True)
    flags = _table(f"{aid}: flags (submissions)", ["flag", "count"],
                   [[esc(k), str(v)] for k, v in sorted(flag_counts.items())], raw=True) if flag_counts else \
        "<p>No flags.</p>"
    questions = [_question_section(book, assignment, e) for e in assignment["exercises"]]
    return "\n".join([f'<section aria-labelledby="a-{esc(aid)}"><h2 id="a-{esc(aid)}">{esc(aid)}</h2>',
                      summary, flags, *questions, "</section>"])


def _longest(late) -> str:
    from .lateness import duration

    return duration(max(g.lateness.seconds_late for g in late))


def _question_section(book: Gradebook, assignment: dict, exercise: dict) -> str:
    stats = question_stats(book, assignment, exercise)
    qid = exercise["id"]
    share = "–" if stats["share_right"] is None else f"{round(100 * stats['share_right'])}%"
    facts = [["Mode", "free response (scored by hand)" if exercise["mode"] == "manual" else "auto-graded"],
             ["Share right (full marks)", f"{share} ({stats['full']} of {stats['scored']} scored)"],
             ["Mean", "–" if stats["mean"] is None else f"{fmt(stats['mean'])} / {fmt(stats['points'])}"],
             ["Not answered", str(stats["unanswered"])],
             ["Not scored yet", str(stats["pending"])]]
    distribution = _table(f"{qid}: scores", ["score", "students"],
                          [[fmt(s), str(stats["distribution"][s])] for s in sorted(stats["distribution"])],
                          numeric=True)
    image = f'<img src="{chart(stats, qid)}" alt="{esc(_alt(stats, qid))}" width="528" height="286">'
    parts = [f'<section aria-labelledby="q-{esc(qid)}"><h3 id="q-{esc(qid)}">{esc(qid)} '
             f'({fmt(stats["points"])} point{"s" if stats["points"] != 1 else ""})</h3>',
             '<div class="question">', image, distribution, _table(f"{qid}: at a glance", ["", "value"], facts),
             "</div>"]
    if exercise["mode"] == "auto":
        if stats["wrong"]:
            parts.append(_table(f"{qid}: most common wrong answers (normalised; {stats['wrong_kinds']} different)",
                                ["answer", "students"],
                                [[f"<code>{esc(form, 160)}</code>", str(n)] for form, n in stats["wrong"]], raw=True))
        else:
            parts.append("<p>No wrong answers to group.</p>")
    if stats["flags"]:
        parts.append(_table(f"{qid}: flags", ["flag", "count"],
                            [[esc(k), str(v)] for k, v in sorted(stats["flags"].items())], raw=True))
    parts.append("</section>")
    return "\n".join(parts)


def _table(caption: str, header: list[str], rows: list[list[str]], numeric: bool = False, raw: bool = False) -> str:
    cls = ' class="num"' if numeric else ""
    head = "".join(f'<th scope="col"{cls}>{esc(h)}</th>' for h in header)
    body = "".join("<tr>" + "".join(
        (f'<th scope="row">{cell if raw else esc(cell)}</th>' if i == 0 and not numeric
         else f"<td{cls}>{cell if raw else esc(cell)}</td>") for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return f'<table tabindex="0"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def write_class_report(out: Path, book: Gradebook) -> Path:
    path = Path(out) / "class-report.html"
    write_text_atomic(path, render(book))
    return path
