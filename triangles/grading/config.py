"""The course's gradebook configuration: one TOML file, e.g. ``gradebook.toml`` beside your roster
(keep both out of the repository: they name students).

    roster = "roster.csv"                  # relative to this file (optional)

    [late]                                 # the late policy for every assignment (policy.py)
    grace = "15m"
    penalty = 10
    per = "day"
    cap = 50

    [assignments."02-the-timeline"]
    due = "2026-03-01T17:00+01:00"
    title = "02 The timeline"              # the column name on the learning platform
    canvas_id = "123456"                   # Canvas assignment id: column "02 The timeline (123456)"
    blackboard_column_id = "987654"        # Blackboard Grade Center column id
    late = { penalty = 5, per = "hour" }

    [[extensions]]
    student = "s1234"
    assignment = "02-the-timeline"
    extra = "2d"
    reason = "medical certificate"

Everything is optional; an empty or absent file means no roster and no late penalty.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .policy import Policy, PolicyError, build_policy
from .roster import Roster, read_roster

TOP_KEYS = {"roster", "late", "assignments", "extensions", "due", "course"}
ASSIGNMENT_KEYS = {"due", "late", "title", "canvas_id", "blackboard_column_id"}


class ConfigError(ValueError):
    """The configuration file cannot be used; the message names the file and the setting."""


@dataclass
class GradebookConfig:
    path: Path | None = None
    policy: Policy = field(default_factory=Policy)
    roster: Roster | None = None
    assignments: dict[str, dict] = field(default_factory=dict)

    def title(self, assignment: str) -> str:
        return str(self.assignments.get(assignment, {}).get("title") or assignment)

    def lms_id(self, assignment: str, key: str) -> str:
        return str(self.assignments.get(assignment, {}).get(key) or "")


def load_config(path: Path | None, cli_due: dict | None = None) -> GradebookConfig:
    """Read and check the configuration; ``path`` None gives the defaults (plus any --due dates)."""
    if path is None:
        return GradebookConfig(policy=build_policy({}, cli_due))
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such configuration file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - TOP_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(TOP_KEYS))})")
    assignments = data.get("assignments") or {}
    for name, table in assignments.items():
        extra = sorted(set(table) - ASSIGNMENT_KEYS) if isinstance(table, dict) else []
        if extra:
            raise ConfigError(f"{path} [assignments.\"{name}\"]: unknown setting(s) {', '.join(extra)} "
                              f"(known: {', '.join(sorted(ASSIGNMENT_KEYS))})")
    try:
        policy = build_policy(data, cli_due, where=path.name)
    except PolicyError as exc:
        raise ConfigError(str(exc)) from None
    roster = read_roster(path.parent / data["roster"]) if data.get("roster") else None
    return GradebookConfig(path=path.resolve(), policy=policy, roster=roster,
                           assignments={k: v for k, v in assignments.items() if isinstance(v, dict)})
