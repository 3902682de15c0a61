"""Compare a student's exported answer with the master's, in the grader's own process.

Both values are rebuilt from plain JSON (export.decode), reduced with the kit's own
``canonical(value, kind, digits)`` and compared as canonical JSON text - the same rule by which
``check``/``grade`` compare an answer with its hashed key - so the two can never disagree on an
honest answer, and no object of the student's is ever asked whether it is equal to anything.
"""

from __future__ import annotations

from triangles.exercises import AnswerTypeError, Unanswered, canonical, canonical_json, infer_kind

from .export import decode
from .master import Exercise, MasterError

CORRECT, INCORRECT, UNANSWERED, NOT_PLAIN, NOT_JUDGED, MANUAL = (
    "correct", "incorrect", "unanswered", "not-plain", "not-judged", "manual")


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


def judge(exercise: Exercise, record: dict, expected: dict) -> dict:
    """Verdict for one auto-graded exercise from its (trusted-format) export record."""
    verdict = {"exercise": exercise.id, "mode": "auto", "points": exercise.points, "score": 0.0}
    status = record.get("status")
    if status in ("missing", "unanswered"):
        return dict(verdict, status=UNANSWERED)
    if status == "not-plain":
        return dict(verdict, status=NOT_PLAIN, note=f"your answer is a {record.get('type', '?')} object")
    kind, want = expected_form(exercise, expected)
    try:
        got = canonical_json(canonical(decode(record["value"]), kind, exercise.digits))
    except Unanswered:
        return dict(verdict, status=UNANSWERED)
    except AnswerTypeError as exc:
        return dict(verdict, status=INCORRECT, note=exc.message)
    except (ValueError, TypeError, RecursionError):
        return dict(verdict, status=INCORRECT, note="this answer could not be read")
    if got == want:
        return dict(verdict, status=CORRECT, score=exercise.points)
    return dict(verdict, status=INCORRECT)


def not_judged(exercise: Exercise, why: str) -> dict:
    return {"exercise": exercise.id, "mode": "auto", "points": exercise.points, "score": 0.0,
            "status": NOT_JUDGED, "note": why}


def manual(exercise: Exercise, answer: str) -> dict:
    """Free response: scored by a person later (manual.py); the text travels with the result."""
    return {"exercise": exercise.id, "mode": "manual", "points": exercise.points, "score": None,
            "status": MANUAL, "answer": answer}
