"""A small deterministic what-if model of the triangle.  A TEACHING MODEL, NOT A FORECAST.

It shows how a steady outside push on one or two relations can travel
round the triangle.  It does not predict what Washington, Beijing or Moscow
will do, and its numbers (push sizes, ``eta``, step counts) are illustrative
choices, not estimates from data.

Assumptions, stated plainly:

1. Time moves in discrete, equal steps with no fixed length in calendar
   time.  All three dyads are updated at once from the previous step's
   values.
2. Each dyad score r_ij lies in [-1, 1] (+1 full amity, -1 full enmity) and
   is clipped back into that range after every step.
3. Balance-seeking: each step, r_ij moves by ``eta * r_ik * r_jk``, where k is
   the third actor.  The product is positive when i and j relate to k in the
   same way (both friendly or both hostile) and negative otherwise, so the
   term drives the triangle towards structural balance in the sense of
   Heider (1946) and Cartwright & Harary (1956).  Applying balance theory to
   states this mechanically is our modelling choice, not a result from the
   literature.
4. Scenario pushes: a constant amount u_ij is added to a dyad every step,
   standing for a sustained policy (sanctions, a treaty, summitry).
   Together:  r_ij(t+1) = clip(r_ij(t) + eta * r_ik(t) * r_jk(t) + u_ij, -1, 1).
5. Everything else is left out: domestic politics, economics, relative
   power, shocks, and the actors' own reading of the roles.

The wedge argument in miniature: if one actor k presses both others
(u_ki < 0 and u_kj < 0), both scores with k turn negative, their product
r_ki * r_kj becomes positive, and the balance term pushes i and j together.
The "us-pressure-on-both" scenario shows this.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping, Sequence, Union

from triangles.model import (
    DYADS,
    Configuration,
    NEUTRAL_BAND,
    Triangle,
    analyse,
    normalize_dyad,
    validate_band,
)

__all__ = [
    "DEFAULT_ETA",
    "MAX_STEPS",
    "Scenario",
    "SCENARIOS",
    "get_scenario",
    "step",
    "simulate",
    "path_frame_records",
    "path_summary",
]

DEFAULT_ETA: float = 0.15
MAX_STEPS: int = 1000  # keeps widget-driven runs bounded

# For each dyad, the two dyads that share its endpoints with the third actor.
_THIRD_PARTY_DYADS = {
    "US-CN": ("US-RU", "CN-RU"),  # third actor RU
    "US-RU": ("US-CN", "CN-RU"),  # third actor CN
    "CN-RU": ("US-CN", "US-RU"),  # third actor US
}


def _is_real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _check_steps(steps: object, what: str = "steps") -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise ValueError(f"{what} must be a whole number from 0 to {MAX_STEPS}; got {steps!r}")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"{what} must be from 0 to {MAX_STEPS}; got {steps!r}")
    return int(steps)


def _check_eta(eta: object) -> float:
    if not _is_real(eta) or not math.isfinite(eta) or not 0.0 <= eta <= 1.0:  # type: ignore[arg-type]
        raise ValueError(f"eta (balance-seeking rate) must be a number in [0, 1]; got {eta!r}")
    return float(eta)  # type: ignore[arg-type]


def _normalize_pushes(pushes: object) -> Mapping[str, float]:
    if not isinstance(pushes, Mapping):
        raise ValueError(
            f"pushes must be a mapping of dyad -> push per step; got {type(pushes).__name__}"
        )
    out = {d: 0.0 for d in DYADS}
    seen: set[str] = set()
    for key, value in pushes.items():
        d = normalize_dyad(key)  # raises ValueError naming the bad key
        if d in seen:
            raise ValueError(f"push for {d} given twice (both orders?)")
        seen.add(d)
        if not _is_real(value) or not math.isfinite(value) or not -1.0 <= value <= 1.0:
            raise ValueError(f"push on {d} must be a number in [-1, 1] per step; got {value!r}")
        out[d] = float(value)
    return MappingProxyType(out)


@dataclass(frozen=True)
class Scenario:
    """A constant push per step on some dyads (missing dyads get 0)."""

    key: str
    title: str
    description: str
    pushes: Mapping[str, float] = field(hash=False)
    steps: int = 20

    def __post_init__(self) -> None:
        for name in ("key", "title", "description"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"Scenario.{name} must be a non-empty string; got {value!r}")
        object.__setattr__(self, "pushes", _normalize_pushes(self.pushes))
        object.__setattr__(self, "steps", _check_steps(self.steps, "Scenario.steps"))


_SCENARIO_LIST = [
    Scenario(
        key="status-quo",
        title="Status quo: no outside push",
        description=(
            "Nobody pushes; only the balance-seeking term acts. A balanced start "
            "stays put, an unbalanced one drifts until one relation changes sign."
        ),
        pushes={},
    ),
    Scenario(
        key="china-russia-alliance",
        title="China and Russia deepen their alignment",
        description=(
            "Beijing and Moscow work steadily at closer ties (CN-RU +0.06 a step). "
            "Watch how the balance term then pulls on each side's relation with Washington."
        ),
        pushes={"CN-RU": 0.06},
    ),
    Scenario(
        key="us-russia-rapprochement",
        title="A US-Russia rapprochement",
        description=(
            "Washington and Moscow steadily mend relations (US-RU +0.06 a step), "
            "the reverse of the 1970s opening to China."
        ),
        pushes={"US-RU": 0.06},
    ),
    Scenario(
        key="us-pressure-on-both",
        title="The United States presses China and Russia at once",
        description=(
            "Washington raises pressure on both capitals (US-CN and US-RU -0.05 a step). "
            "With both at odds with the US, the balance term pushes China and Russia together."
        ),
        pushes={"US-CN": -0.05, "US-RU": -0.05},
    ),
    Scenario(
        key="us-engages-both",
        title="The United States engages both",
        description=(
            "Washington improves relations with both capitals (US-CN and US-RU +0.05 a step), "
            "trying for the pivot's seat in a romantic triangle."
        ),
        pushes={"US-CN": 0.05, "US-RU": 0.05},
    ),
]

#: Built-in scenarios by key.
SCENARIOS: dict[str, Scenario] = {s.key: s for s in _SCENARIO_LIST}


def get_scenario(scenario: Union[Scenario, str]) -> Scenario:
    """A Scenario as given, or the built-in one with that key."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, str) and scenario in SCENARIOS:
        return SCENARIOS[scenario]
    raise ValueError(f"unknown scenario {scenario!r}; built-in keys: {', '.join(SCENARIOS)}")


def _as_triangle(start: object) -> Triangle:
    if isinstance(start, Triangle):
        return start
    if isinstance(start, Mapping):
        return Triangle.from_mapping(start)
    raise ValueError(
        f"start must be a Triangle or a mapping of dyad -> score; got {type(start).__name__}"
    )


def step(t: Triangle, pushes: Mapping[str, float], eta: float = DEFAULT_ETA) -> Triangle:
    """One synchronous update of all three dyads (see the module docstring)."""
    tri = _as_triangle(t)
    u = _normalize_pushes(pushes)
    e = _check_eta(eta)
    r = tri.as_dict()
    new = {}
    for d in DYADS:
        d1, d2 = _THIRD_PARTY_DYADS[d]
        value = r[d] + e * r[d1] * r[d2] + u[d]
        new[d] = min(1.0, max(-1.0, value))
    return Triangle.from_mapping(new)


def simulate(
    start: Triangle,
    scenario: Union[Scenario, str],
    steps: int | None = None,
    eta: float = DEFAULT_ETA,
) -> list[Triangle]:
    """Run ``scenario`` from ``start``; returns steps + 1 triangles, the first = start.

    ``steps`` defaults to the scenario's own.  Deterministic: the same inputs
    always give the same path.
    """
    tri = _as_triangle(start)
    sc = get_scenario(scenario)
    n = sc.steps if steps is None else _check_steps(steps)
    e = _check_eta(eta)
    path = [tri]
    for _ in range(n):
        path.append(step(path[-1], sc.pushes, e))
    return path


def _check_path(path: object) -> Sequence[Triangle]:
    if isinstance(path, (str, bytes)) or not isinstance(path, Sequence):
        raise ValueError(f"path must be a list of Triangle; got {type(path).__name__}")
    for i, t in enumerate(path):
        if not isinstance(t, Triangle):
            raise ValueError(f"path[{i}] must be a Triangle; got {type(t).__name__}")
    return path


def path_frame_records(path: Sequence[Triangle]) -> list[dict]:
    """Long-format records {"step", "dyad", "value"} for plotting (no pandas here)."""
    return [
        {"step": i, "dyad": d, "value": v}
        for i, t in enumerate(_check_path(path))
        for d, v in t.as_dict().items()
    ]


def path_summary(path: Sequence[Triangle], band: float = NEUTRAL_BAND) -> str:
    """One plain-English paragraph: where the path starts, ends, and when the
    configuration changes.  A text alternative for a path plot."""
    p = _check_path(path)
    b = validate_band(band)
    if not p:
        return "The path is empty."
    configs = [analyse(t, b).configuration for t in p]
    first, last = p[0].as_dict(), p[-1].as_dict()
    moved = "; ".join(f"{d} {first[d]:+.2f} → {last[d]:+.2f}" for d in DYADS)
    text = [f"Over {len(p) - 1} steps: {moved}."]
    changes = [
        f"step {i}: {configs[i - 1].value} → {configs[i].value}"
        for i in range(1, len(configs))
        if configs[i] is not configs[i - 1]
    ]
    if changes:
        text.append("The configuration changes at " + "; ".join(changes) + ".")
    else:
        c = configs[0]
        phrase = c.value if c is Configuration.UNDETERMINED else f"a {c.value}"
        text.append(f"The configuration stays {phrase} throughout.")
    return " ".join(text)
