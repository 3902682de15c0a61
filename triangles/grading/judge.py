"""Compare a student's exported answer with the master's, in the grader's own process.

Both values are rebuilt from plain JSON (export.decode), reduced with the kit's own
``canonical(value, kind, digits)`` and compared as canonical JSON text - the same rule by which
``check``/``grade`` compare an answer with its hashed key - so the two can never disagree on an
honest answer, and no object of the student's is ever asked whether it is equal to anything.
"""

from __future__ import annotations

import re

from triangles.exercises import (CORRECT as CHECK_SAYS_RIGHT, AnswerTypeError, Unanswered, _read_variants,
                                 canonical, canonical_json, evaluate, infer_kind, partial_credit, record_entry,
                                 variant_table)

from .export import decode
from .master import Exercise, MasterError

CORRECT, INCORRECT, UNANSWERED, NOT_PLAIN, NOT_JUDGED, MANUAL = (
    "correct", "incorrect", "unanswered", "not-plain", "not-judged", "manual")
MAX_ANSWER_TEXT = 4000   # characters of the student's answer cell kept in the result (feedback shows it)
MAX_FORM_TEXT = 300      # characters of the canonical answer kept for the class report
_TYPE_NAME = re.compile(r"[A-Za-z_][\w.<>]{0,79}")


def expected_form(exercise: Exercise, record: dict) -> tuple[str, str]:
    """(kind, canonical JSON) of the master's answer; a master that can't be read is an error."""
    if not record or record.get("status") != "value":
        raise MasterError(f"{exercise.assignment}: the master's answer to {exercise.id} "
                          f"({exercise.variable}) is {record.get('status') if record else 'missing'}")
    value = decode(record["value"])
    kind = exercise.kind or infer_kind(value)
    try:
        return kind, canonical_json(canonical(value, kind, exercise.digits))
    except (Unanswered, AnswerTypeError, ValueError) as exc:
        raise MasterError(f"{exercise.assignment}: the master's answer to {exercise.id} "
                          f"cannot be canonicalised: {exc}") from None


def judge(exercise: Exercise, record: dict, expected: dict, context: dict | None = None) -> dict:
    """Verdict for one auto-graded exercise from its (trusted-format) export record.

    ``context`` (releases.exercise_context): the student's answer text, the hint of the version
    they were given, and the exercise's partial-credit rule. With it the verdict also carries the
    diagnosis their own check cell showed them, computed by the same ``evaluate``, and partial
    credit computed by the same ``partial_credit`` as ``check`` - so the two cannot disagree."""
    context = context or {}
    verdict = {"exercise": exercise.id, "mode": "auto", "points": exercise.points, "score": 0.0}
    if "answer" in context:
        verdict["answer"] = str(context["answer"])[:MAX_ANSWER_TEXT]
    hint = context.get("hint", exercise.hint)
    if hint:
        verdict["hint_seen"] = hint
    status = record.get("status")
    if status in ("missing", "unanswered"):
        return dict(verdict, status=UNANSWERED)
    if status == "not-plain":
        return dict(verdict, status=NOT_PLAIN, note=f"your answer is {_type_words(record.get('type'))}")
    kind, want = expected_form(exercise, expected)
    key = _key(exercise, expected, context)
    try:
        value = decode(record["value"])
        form = canonical(value, kind, exercise.digits)
        got = canonical_json(form)
    except Unanswered:
        return dict(verdict, status=UNANSWERED)
    except AnswerTypeError as exc:
        said = _diagnosis(exercise, value, key, hint)
        said.pop("status", None)
        return dict(verdict, status=INCORRECT, note=exc.message, **said)
    except (ValueError, TypeError, RecursionError):
        return dict(verdict, status=INCORRECT, note="this answer could not be read")
    verdict["form"] = got[:MAX_FORM_TEXT]
    said = _diagnosis(exercise, value, key, hint)
    check_says = said.pop("status", None)
    # Right if the canonical forms agree, or if the check cell itself says so (an accepted
    # variant wording, recorded from the master's check call): the grader never disagrees with it.
    if got == want or check_says == CHECK_SAYS_RIGHT:
        return dict(verdict, status=CORRECT, score=exercise.points, **said)
    verdict.update(said)
    read = _read_variants(form, variant_table(key.get("accept")), kind)
    share = partial_credit(exercise.id, read, key)
    if share:
        verdict["score"] = round(exercise.points * share, 6)
        verdict["partial"] = round(share, 6)
    return dict(verdict, status=INCORRECT)


def _key(exercise: Exercise, expected: dict, context: dict) -> dict:
    """The answer key the release writes for this exercise, rebuilt from the master's answer and
    the master's check call (accepted variants) and cell metadata (partial credit)."""
    key = record_entry(exercise.id, decode(expected["value"]), exercise.kind, exercise.digits,
                       accept=context.get("accept"), near=context.get("near"))
    if context.get("partial"):
        key["partial"] = context["partial"]
    return key


def _diagnosis(exercise: Exercise, value, key: dict, hint: str) -> dict:
    """What the student's check cell said about this value: the very same ``evaluate``."""
    try:
        feedback = evaluate(exercise.id, value, name=exercise.variable or "your answer", hint=hint or None,
                            digits=exercise.digits, kind=exercise.kind,
                            keys={"exercises": {exercise.id: key}})
    except Exception:  # a diagnosis is a courtesy; the score never depends on it
        return {}
    return {"diagnosis": feedback.text[:1000], "status": feedback.status}


def _type_words(type_name) -> str:
    """A type name as the kernel reported it is student-controlled: show it only if it looks like one."""
    name = str(type_name or "")
    return f"a {name} object" if _TYPE_NAME.fullmatch(name) else "an object of a type that is not plain data"


def not_judged(exercise: Exercise, why: str) -> dict:
    return {"exercise": exercise.id, "mode": "auto", "points": exercise.points, "score": 0.0,
            "status": NOT_JUDGED, "note": why}


def manual(exercise: Exercise, answer: str) -> dict:
    """Free response: scored by a person later (manual.py); the text travels with the result."""
    return {"exercise": exercise.id, "mode": "manual", "points": exercise.points, "score": None,
            "status": MANUAL, "answer": answer}
