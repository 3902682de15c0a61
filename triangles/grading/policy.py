"""The late policy, applied at report time: due dates, grace, penalty per hour or day, cap or cut-off,
per-student extensions.

It reads only the submission time the grader stored in each result file (``timestamp``), so
applying or changing the policy never re-runs a kernel. The policy lives in the course's gradebook
configuration (config.py), per course and per assignment:

    [late]                      # the course's default
    grace = "15m"               # no penalty up to 15 minutes after the due date
    penalty = 10                # percent of the assignment's points ...
    per = "day"                 # ... per started day ("hour" or "day") after the due date
    cap = 50                    # never more than 50 percent off (optional)
    cutoff = "7d"               # later than 7 days after the due date: 0 points (optional)

    [assignments."02-the-timeline"]
    due = "2026-03-01T17:00+01:00"
    late = { penalty = 5, per = "hour" }   # only this assignment: overrides keys of [late]

    [[extensions]]
    student = "s1234"
    assignment = "02-the-timeline"
    due = "2026-03-04T17:00+01:00"         # or: extra = "2d"
    reason = "medical certificate"

Hours and days are counted from the due date (the extended one, if any) and rounded up once the
grace period is over: 1 hour 1 minute late is 2 hours. Grace only forgives: a submission later
than the grace period is counted from the due date itself.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field

from .lateness import duration, parse_time, seconds_late
from .report import fmt

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
PER = {"hour": 3600, "day": 86400}
POLICY_KEYS = {"grace", "penalty", "per", "cap", "cutoff"}


class PolicyError(ValueError):
    """A policy setting that cannot be used; the message names the setting."""


def parse_span(text, where: str) -> float:
    """'15m', '2h', '1.5d', '1w' -> seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        raise PolicyError(f"{where}: give a unit, e.g. \"{text}h\" or \"{text}d\"")
    match = _SPAN.match(str(text))
    if not match:
        raise PolicyError(f"{where}: {text!r} is not a duration like \"15m\", \"2h\" or \"3d\"")
    return float(match.group(1)) * UNITS[match.group(2)]


@dataclass(frozen=True)
class LatePolicy:
    grace: float = 0.0          # seconds
    penalty: float = 0.0        # percent per unit
    per: str = "day"
    cap: float | None = None    # percent
    cutoff: float | None = None  # seconds after the due date

    @classmethod
    def from_table(cls, table: dict, where: str, base: "LatePolicy | None" = None) -> "LatePolicy":
        base = base or cls()
        unknown = sorted(set(table) - POLICY_KEYS)
        if unknown:
            raise PolicyError(f"{where}: unknown setting(s) {', '.join(unknown)} "
                              f"(known: {', '.join(sorted(POLICY_KEYS))})")
        values = {"grace": base.grace, "penalty": base.penalty, "per": base.per, "cap": base.cap,
                  "cutoff": base.cutoff}
        if "grace" in table:
            values["grace"] = parse_span(table["grace"], f"{where}.grace")
        if "cutoff" in table:
            values["cutoff"] = parse_span(table["cutoff"], f"{where}.cutoff")
        if "per" in table:
            if table["per"] not in PER:
                raise PolicyError(f"{where}.per: {table['per']!r} must be \"hour\" or \"day\"")
            values["per"] = table["per"]
        for name in ("penalty", "cap"):
            if name in table:
                value = table[name]
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                    raise PolicyError(f"{where}.{name}: {value!r} must be a percentage from 0 to 100")
                values[name] = float(value)
        return cls(**values)

    def describe(self) -> str:
        if not self.penalty and self.cutoff is None:
            return "no late penalty"
        parts = []
        if self.penalty:
            parts.append(f"{fmt(self.penalty)}% off per {self.per} late")
        if self.grace:
            parts.append(f"after a grace period of {duration(self.grace)}")
        if self.cap is not None:
            parts.append(f"at most {fmt(self.cap)}% off")
        if self.cutoff is not None:
            parts.append(f"0 points when more than {duration(self.cutoff)} late")
        return ", ".join(parts)


@dataclass(frozen=True)
class Extension:
    student: str
    assignment: str
    due: str | None = None      # ISO, replaces the due date
    extra: float = 0.0          # seconds added to the due date
    reason: str = ""


@dataclass(frozen=True)
class Lateness:
    """How one submission stands against the policy (all a report or a page needs to say)."""
    due: str | None = None
    timestamp: str | None = None
    seconds_late: float = 0.0
    percent_off: float = 0.0
    cut_off: bool = False
    extension: str | None = None   # the reason, when an extension applied
    rule: str = "no late penalty"
    within_grace: bool = False     # late, but no later than the grace period allows

    @property
    def late(self) -> bool:
        return self.seconds_late > 0

    def apply(self, points: float) -> float:
        """The points left after the penalty."""
        if self.cut_off:
            return 0.0
        return round(points * (1 - self.percent_off / 100), 6)

    def sentence(self) -> str:
        """For the student and the instructor: '2h 5m late: 20% off (10% off per hour late ...)'."""
        if not self.late:
            return ""
        text = f"submitted {duration(self.seconds_late)} after the due date"
        if self.extension:
            text += " (with your extension)"
        if self.cut_off:
            return text + ": past the cut-off, so this assignment scores 0"
        if self.percent_off:
            return text + f": {fmt(self.percent_off)}% off ({self.rule})"
        return text + (": within the grace period, no penalty" if self.within_grace else "")


@dataclass
class Policy:
    default: LatePolicy = field(default_factory=LatePolicy)
    per_assignment: dict[str, LatePolicy] = field(default_factory=dict)
    due: dict[str, str] = field(default_factory=dict)          # assignment -> ISO ("*" = every one)
    extensions: list[Extension] = field(default_factory=list)

    def rule_for(self, assignment: str) -> LatePolicy:
        return self.per_assignment.get(assignment, self.default)

    def due_for(self, assignment: str) -> str | None:
        return self.due.get(assignment, self.due.get("*"))

    def extension_for(self, student: str, assignment: str) -> Extension | None:
        for ext in self.extensions:
            if ext.student == student and ext.assignment in (assignment, "*"):
                return ext
        return None

    def lateness(self, student: str, assignment: str, timestamp: str | None) -> Lateness:
        due = self.due_for(assignment)
        rule = self.rule_for(assignment)
        ext = self.extension_for(student, assignment)
        if due is not None and ext is not None:
            due = ext.due or (dt.datetime.fromisoformat(due) + dt.timedelta(seconds=ext.extra)).isoformat()
        elif ext is not None and ext.due:
            due = ext.due
        if due is None or timestamp is None:
            return Lateness(due=due, timestamp=timestamp, rule=rule.describe())
        late = seconds_late(timestamp, due)
        if late <= 0:
            return Lateness(due=due, timestamp=timestamp, rule=rule.describe(),
                            extension=(ext.reason or "extension") if ext else None)
        cut_off = rule.cutoff is not None and late > rule.cutoff
        percent = 0.0
        if late > rule.grace and rule.penalty:
            units = math.ceil(late / PER[rule.per])
            percent = min(100.0, units * rule.penalty)
            if rule.cap is not None:
                percent = min(percent, rule.cap)
        return Lateness(due=due, timestamp=timestamp, seconds_late=late, percent_off=percent, cut_off=cut_off,
                        extension=(ext.reason or "extension") if ext else None, rule=rule.describe(),
                        within_grace=late <= rule.grace)


def build_policy(config: dict, cli_due: dict | None = None, where: str = "gradebook.toml") -> Policy:
    """A Policy from the parsed configuration (see the module docstring) and any --due options,
    which set due dates only (the configuration wins where both give one)."""
    policy = Policy()
    policy.default = LatePolicy.from_table(config.get("late", {}) or {}, f"{where} [late]")
    for name, iso in (cli_due or {}).items():
        policy.due["*" if name is None else name] = iso
    if "due" in config:
        policy.due["*"] = _iso(config["due"], f"{where} due")
    for assignment, table in (config.get("assignments") or {}).items():
        if not isinstance(table, dict):
            raise PolicyError(f"{where} [assignments.\"{assignment}\"] must be a table")
        here = f"{where} [assignments.\"{assignment}\"]"
        if "due" in table:
            policy.due[assignment] = _iso(table["due"], f"{here} due")
        if "late" in table:
            policy.per_assignment[assignment] = LatePolicy.from_table(table["late"], f"{here} late",
                                                                      base=policy.default)
    for number, item in enumerate(config.get("extensions") or [], start=1):
        here = f"{where} [[extensions]] number {number}"
        if not isinstance(item, dict) or not item.get("student") or not item.get("assignment"):
            raise PolicyError(f"{here}: needs student and assignment")
        if ("due" in item) == ("extra" in item):
            raise PolicyError(f"{here}: give either due (a new date) or extra (e.g. \"2d\"), not both or neither")
        policy.extensions.append(Extension(
            student=str(item["student"]), assignment=str(item["assignment"]),
            due=_iso(item["due"], f"{here} due") if "due" in item else None,
            extra=parse_span(item["extra"], f"{here} extra") if "extra" in item else 0.0,
            reason=str(item.get("reason", ""))[:200]))
    return policy


def _iso(value, where: str) -> str:
    if isinstance(value, dt.datetime):  # TOML's own date-time type
        return (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).isoformat()
    try:
        return parse_time(str(value)).isoformat()
    except (ValueError, OverflowError) as exc:
        raise PolicyError(f"{where}: {value!r} is not a date and time ({exc})") from None

