"""A small deterministic what-if model of the triangle.  A TEACHING MODEL, NOT A FORECAST.

One actor (by default the United States) follows a *policy option*: a steady
push on its own two relations.  The other two actors *respond*: each seeks a
better role by Yu-Shan Wu's ranking.  Structural balance pulls on every
relation, and commitments hold each relation near where it started.  The
model shows why policy options from the same start can end in different
places, and what it would take to reach each option's target.

It does not predict what Washington, Beijing or Moscow will do.  Its numbers
(push sizes, rates, step counts) are illustrative choices, calibrated only for
face validity against two historical starts (see ``docs/scenario-model.md``),
not estimated from data.

The update, for each dyad d = (i, j) with third actor k, all dyads at once:

    change_d = push_d                                 (1) the policy push
             + balance * r_ik * r_jk                  (2) structural balance
             + responsiveness * seeking_d             (3) the responders' role-seeking
             + hold_d * (start_d - r_d)               (4) commitments
    change_d is clipped to [-max_change, +max_change] (5) the step limit
    r_d(t+1) = clip(r_d(t) + change_d, -1, 1)

1. **Push** (``push_d``): the acting actor's sustained policy on its own two
   relations (per step; positive = warming, negative = pressure).  A push on a
   dyad the acting actor is not part of is an outside push, added the same way.
2. **Balance** (Heider 1946; Cartwright & Harary 1956): two states that relate
   the same way to the third drift together, two that relate oppositely drift
   apart.  Turning balance theory into a fixed-rate step is our choice.
3. **Role-seeking** (Wu's ranking pivot > friend > partner > wing > foe >
   outcast): each responding actor works on its *best improving move*
   (``triangles.model.improving_moves``), the one own relation whose turn from
   enmity to amity would raise its rank.  Under Wu's ranking a second amity
   always helps, so the improving moves are the actor's relations that are not
   yet amity; when both are not, they rank equal, and the actor works on the
   one nearer amity (the cheaper move), splitting its effort on an exact tie.
   An actor never worsens a relation (under Wu's ranking that never improves
   its role).  Each party's effort moves the relation by half of
   ``responsiveness``; the effort is full at scores of -NEUTRAL_BAND and below, fades
   linearly across it and stops once the relation is clear amity (score at or
   above ``NEUTRAL_BAND``).  The acting actor does not role-seek: its push is
   its policy.
4. **Commitments** (Dittmer 1981: players try to freeze a configuration with
   treaties or ideology): every relation is pulled back towards its starting
   score, by ``cohesion`` for the relation between the two responders (for the
   US as acting actor: China-Russia) and by ``commitment`` for the acting
   actor's own two.  ``cohesion`` is the parameter that makes a wedge hard.
5. **Step limit**: no relation moves by more than ``max_change`` in one step,
   however hard it is pushed.

Left out, among much else: domestic politics, economics, relative power,
shocks, third countries, any calendar meaning of a step, learning, and
bargaining between the responders.  The responders do not anticipate: they
react to the current triangle only.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType
from typing import Mapping, Sequence, Union

import numpy as np

from triangles.model import (
    ACTORS,
    DYADS,
    NEUTRAL_BAND,
    Configuration,
    Role,
    Signs,
    Triangle,
    analyse,
    classify,
    normalize_dyad,
    other_dyad,
    roles,
    validate_band,
)

__all__ = [
    "DEFAULT_ETA",
    "DEFAULT_PUSH",
    "DEFAULT_STEPS",
    "MAX_PUSH",
    "MAX_STEPS",
    "ModelParams",
    "DEFAULT_PARAMS",
    "Scenario",
    "SCENARIOS",
    "OPTION_KEYS",
    "get_scenario",
    "step",
    "simulate",
    "simulate_batch",
    "Outcome",
    "outcome",
    "state_label",
    "state_code",
    "minimal_push",
    "OutcomeMap",
    "outcome_map",
    "MAP_PUSHES",
    "MAP_COHESIONS",
    "OptionResult",
    "compare_options",
    "path_frame_records",
    "path_summary",
]

#: Balance rate (the name is kept from the first version of this module).
DEFAULT_ETA: float = 0.15
#: The push per step of the built-in options, unless a caller scales them.
DEFAULT_PUSH: float = 0.15
#: Steps of the built-in options: long enough for most runs from the coded starts to settle.
DEFAULT_STEPS: int = 40
#: The largest push per step a caller may ask for (and the top of the search
#: for the smallest push that reaches a target).
MAX_PUSH: float = 0.3
MAX_STEPS: int = 1000  # keeps widget-driven runs bounded
#: Responders work on a relation until it reaches this score (clear amity).
_AMITY = NEUTRAL_BAND

_DYAD_INDEX = {d: i for i, d in enumerate(DYADS)}
_ACTOR_INDEX = {a: i for i, a in enumerate(ACTORS)}
# For each actor (ACTORS order), its own two dyads (DYADS indices, DYADS order)
# and the dyad between the other two.
_OWN = np.array([[_DYAD_INDEX[d] for d in DYADS if a in d.split("-")] for a in ACTORS])
_OTHER = np.array([_DYAD_INDEX[other_dyad(a)] for a in ACTORS])
# For each dyad, the two dyads that link its two ends to the third actor.
_THIRD = np.array([[j for j in range(3) if j != i] for i in range(3)])
# _TO_DYAD[k][actor, dyad] = 1 where dyad is the actor's k-th own dyad: moves efforts to dyads.
_TO_DYAD = np.zeros((2, 3, 3))
for _a in range(3):
    for _k in range(2):
        _TO_DYAD[_k, _a, _OWN[_a, _k]] = 1.0


def _is_real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _check_steps(steps: object, what: str = "steps") -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral):
        raise ValueError(f"{what} must be a whole number from 0 to {MAX_STEPS}; got {steps!r}")
    if not 0 <= steps <= MAX_STEPS:
        raise ValueError(f"{what} must be from 0 to {MAX_STEPS}; got {steps!r}")
    return int(steps)


def _check_rate(value: object, what: str, high: float = 1.0) -> float:
    if not _is_real(value) or not math.isfinite(value) or not 0.0 <= value <= high:  # type: ignore[arg-type]
        raise ValueError(f"{what} must be a number in [0, {high:g}]; got {value!r}")
    return float(value)  # type: ignore[arg-type]


def _check_eta(eta: object) -> float:
    return _check_rate(eta, "eta (balance-seeking rate)")


@dataclass(frozen=True)
class ModelParams:
    """Every number the model uses besides the start and the pushes.

    All are per step; see the module docstring and docs/scenario-model.md.
    """

    #: Structural balance: the pull ``balance * r_ik * r_jk`` on each dyad.
    balance: float = DEFAULT_ETA
    #: How far a responding actor moves the relation it works on, per step
    #: (each party's effort counts for half).
    responsiveness: float = 0.06
    #: Pull of the responders' own relation (China-Russia for a US policy)
    #: back towards its starting score: the partnership's cohesion.
    cohesion: float = 0.05
    #: Pull of the acting actor's own two relations back towards their start.
    commitment: float = 0.02
    #: The most any relation can move in one step.
    max_change: float = 0.15
    #: The actor whose policy the pushes are; the other two respond.
    actor: str = "US"

    def __post_init__(self) -> None:
        _check_rate(self.balance, "balance (balance-seeking rate)")
        _check_rate(self.responsiveness, "responsiveness")
        _check_rate(self.cohesion, "cohesion")
        _check_rate(self.commitment, "commitment")
        if not _is_real(self.max_change) or not 0.0 < self.max_change <= 2.0:
            raise ValueError(f"max_change must be a number in (0, 2]; got {self.max_change!r}")
        if self.actor not in ACTORS:
            raise ValueError(f"actor must be one of {', '.join(ACTORS)}; got {self.actor!r}")
        for name in ("balance", "responsiveness", "cohesion", "commitment", "max_change"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def with_(self, **changes: object) -> "ModelParams":
        """A copy with some values changed (validated again)."""
        return replace(self, **changes)


#: The documented parameters (docs/scenario-model.md, "Calibration").
DEFAULT_PARAMS = ModelParams()


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


def _normalize_target(target: object) -> Signs | None:
    if target is None or isinstance(target, Signs):
        return target
    if isinstance(target, Mapping):
        return Signs.from_mapping(target)
    raise ValueError(f"target must be Signs, a mapping of dyad -> sign, or None; got {target!r}")


@dataclass(frozen=True)
class Scenario:
    """A steady push per step on some dyads (missing dyads get 0), and the
    signs the policy hopes to reach (``target``; None for no target).

    ``scaled(size)`` gives the same policy with its largest push set to
    ``size``: the options differ in direction, the push size is a control.
    """

    key: str
    title: str
    description: str
    pushes: Mapping[str, float] = field(hash=False)
    steps: int = DEFAULT_STEPS
    target: Signs | None = None

    def __post_init__(self) -> None:
        for name in ("key", "title", "description"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"Scenario.{name} must be a non-empty string; got {value!r}")
        object.__setattr__(self, "pushes", _normalize_pushes(self.pushes))
        object.__setattr__(self, "steps", _check_steps(self.steps, "Scenario.steps"))
        object.__setattr__(self, "target", _normalize_target(self.target))

    def __hash__(self) -> int:
        return hash((self.key, self.title, self.description, self.steps, self.target,
                     tuple(self.pushes.values())))

    @property
    def push_size(self) -> float:
        """The largest absolute push per step (0 for no push)."""
        return max(abs(v) for v in self.pushes.values())

    @property
    def push_vector(self) -> tuple[float, float, float]:
        return tuple(self.pushes[d] for d in DYADS)  # type: ignore[return-value]

    def direction(self) -> tuple[float, float, float]:
        """The pushes divided by the largest one (all 0 for no push)."""
        size = self.push_size
        return tuple(v / size if size else 0.0 for v in self.push_vector)  # type: ignore[return-value]

    def scaled(self, size: float) -> "Scenario":
        """The same policy with its largest push per step equal to ``size``."""
        s = _check_rate(size, "push size", MAX_PUSH)
        pushes = {d: round(v * s, 12) for d, v in zip(DYADS, self.direction())}
        return replace(self, pushes=pushes)


def _option(key: str, title: str, description: str, direction: Mapping[str, float],
            target: tuple[int, int, int] | None) -> Scenario:
    pushes = {d: w * DEFAULT_PUSH for d, w in direction.items()}
    signs = None if target is None else Signs(*target)
    return Scenario(key, title, description, pushes, DEFAULT_STEPS, signs)


_SCENARIO_LIST = [
    _option("status-quo", "Status quo: no US push",
            "Washington does nothing new. Balance, commitments and the others' role-seeking act alone.",
            {}, None),
    _option("us-wedge-toward-moscow", "Wedge toward Moscow (a 'reverse Kissinger')",
            "Washington warms to Moscow (US-RU up by the push each step) and keeps pressing Beijing "
            "(US-CN down by half the push), hoping Moscow cools towards Beijing. "
            "Target: the US and Russia partners, China the outcast.",
            {"US-RU": 1.0, "US-CN": -0.5}, (-1, 1, -1)),
    _option("us-wedge-toward-beijing", "Wedge toward Beijing",
            "Washington warms to Beijing (US-CN up by the push each step) and keeps pressing Moscow "
            "(US-RU down by half the push), hoping Beijing cools towards Moscow. "
            "Target: the US and China partners, Russia the outcast.",
            {"US-CN": 1.0, "US-RU": -0.5}, (1, -1, -1)),
    _option("us-pressure-on-both", "Pressure on both",
            "Washington presses both capitals (US-CN and US-RU down by the push each step), betting "
            "their partnership is shallow. Target: all three at odds (a unit veto).",
            {"US-CN": -1.0, "US-RU": -1.0}, (-1, -1, -1)),
    _option("us-engages-both", "Engagement with both",
            "Washington improves relations with both capitals (US-CN and US-RU up by the push each "
            "step) without asking either to choose. Target: amity all round (a ménage à trois).",
            {"US-CN": 1.0, "US-RU": 1.0}, (1, 1, 1)),
]

#: Built-in scenarios by key: the status quo and the four US options of notebook 07.
SCENARIOS: dict[str, Scenario] = {s.key: s for s in _SCENARIO_LIST}
#: The four options with a target, in the order notebook 07 lists them.
OPTION_KEYS: tuple[str, ...] = tuple(s.key for s in _SCENARIO_LIST if s.target is not None)


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


def _check_params(params: object) -> ModelParams:
    if params is None:
        return DEFAULT_PARAMS
    if not isinstance(params, ModelParams):
        raise ValueError(f"params must be a ModelParams; got {type(params).__name__}")
    return params


# --------------------------------------------------------------------------
# the vectorised core: many runs at once, one row each


def _need(r: np.ndarray) -> np.ndarray:
    """1 below the neutral band, 0 above it, linear across it."""
    return np.clip((_AMITY - r) / (2 * _AMITY), 0.0, 1.0)


def _seeking(r: np.ndarray, responds: np.ndarray) -> np.ndarray:
    """Each responder's effort per dyad (0 to 1/2: one party of two), all actors at once.

    ``responds`` (N, 3) is 1 for a responding actor and 0 for the acting one.
    """
    r1, r2 = r[:, _OWN[:, 0]], r[:, _OWN[:, 1]]  # (N, actor): each actor's two relations
    hostile1, hostile2 = r1 < _AMITY, r2 < _AMITY
    both = hostile1 & hostile2
    # Both below amity: Wu's ranks tie, so work on the one nearer amity; split an exact tie.
    nearer = np.where(r1 > r2, 1.0, np.where(r1 < r2, 0.0, 0.5))
    w1 = np.where(both, nearer, hostile1)
    w2 = np.where(both, 1.0 - nearer, hostile2)
    # Effort fades out across the neutral band instead of stopping at its edge.
    half = 0.5 * responds
    return (half * w1 * _need(r1)) @ _TO_DYAD[0] + (half * w2 * _need(r2)) @ _TO_DYAD[1]


def _run(start: np.ndarray, pushes: np.ndarray, balance: np.ndarray, responsiveness: np.ndarray,
         hold: np.ndarray, max_change: np.ndarray, acting: np.ndarray, steps: int) -> np.ndarray:
    """Rows of runs: start (N, 3), pushes (N, 3), hold (N, 3), the rest (N,).  Returns (N, steps+1, 3)."""
    out = np.empty((start.shape[0], steps + 1, 3))
    r = start.astype(float, copy=True)
    out[:, 0] = r
    beta, rho, limit = balance[:, None], responsiveness[:, None], max_change[:, None]
    responds = (acting[:, None] != np.arange(3)[None, :]).astype(float)
    for t in range(1, steps + 1):
        change = (pushes + beta * r[:, _THIRD[:, 0]] * r[:, _THIRD[:, 1]]
                  + rho * _seeking(r, responds) + hold * (start - r))
        r = np.clip(r + np.clip(change, -limit, limit), -1.0, 1.0)
        out[:, t] = r
    return out


def _param_rows(params: Sequence[ModelParams]) -> tuple[np.ndarray, ...]:
    acting = np.array([_ACTOR_INDEX[p.actor] for p in params])
    hold = np.empty((len(params), 3))
    for i, p in enumerate(params):
        hold[i] = p.commitment
        hold[i, _OTHER[acting[i]]] = p.cohesion
    return (np.array([p.balance for p in params]), np.array([p.responsiveness for p in params]),
            hold, np.array([p.max_change for p in params]), acting)


def simulate_batch(starts: np.ndarray, pushes: np.ndarray, params: Sequence[ModelParams],
                   steps: int) -> np.ndarray:
    """Many runs at once: ``starts`` and ``pushes`` of shape (N, 3) in DYADS order, one
    ModelParams per row.  Returns the scores, shape (N, steps + 1, 3).  Row i equals
    ``simulate`` of row i (same arithmetic, same order)."""
    s, u = np.asarray(starts, float), np.asarray(pushes, float)
    if s.ndim != 2 or s.shape[1] != 3 or u.shape != s.shape or len(params) != s.shape[0]:
        raise ValueError("simulate_batch needs starts and pushes of shape (N, 3) and N params; "
                         f"got {s.shape}, {u.shape} and {len(params)}")
    if not (np.all(np.abs(s) <= 1.0) and np.all(np.abs(u) <= 1.0)):
        raise ValueError("simulate_batch: starts and pushes must lie in [-1, 1]")
    n = _check_steps(steps)
    balance, responsiveness, hold, limit, acting = _param_rows([_check_params(p) for p in params])
    return _run(s, u, balance, responsiveness, hold, limit, acting, n)


def params_with_eta(params: object, eta: object) -> ModelParams:
    """``params``, checked, with its balance weight replaced by ``eta`` only when ``eta`` is given."""
    p = _check_params(params)
    return p if eta is None else p.with_(balance=_check_eta(eta))


def step(t: Triangle, pushes: Mapping[str, float], eta: float | None = None,
         params: ModelParams | None = None) -> Triangle:
    """One synchronous update of all three dyads (see the module docstring)."""
    tri = _as_triangle(t)
    u = _normalize_pushes(pushes)
    p = params_with_eta(params, eta)
    out = simulate_batch(np.array([list(tri.as_dict().values())]),
                         np.array([[u[d] for d in DYADS]]), [p], 1)
    return Triangle(*out[0, 1])


def simulate(start: Triangle, scenario: Union[Scenario, str], steps: int | None = None,
             eta: float | None = None, params: ModelParams | None = None) -> list[Triangle]:
    """Run ``scenario`` from ``start``; returns steps + 1 triangles, the first = start.

    ``steps`` defaults to the scenario's own; ``eta``, if given, replaces
    ``params.balance``.  Deterministic: the same inputs always give the same path.
    """
    tri = _as_triangle(start)
    sc = get_scenario(scenario)
    n = sc.steps if steps is None else _check_steps(steps)
    p = params_with_eta(params, eta)
    scores = _cached_path(tuple(tri.as_dict().values()), sc.push_vector, p, n)
    return [tri] + [Triangle(*row) for row in scores[1:]]


@lru_cache(maxsize=256)
def _cached_path(start: tuple, pushes: tuple, params: ModelParams, steps: int) -> tuple:
    out = simulate_batch(np.array([start]), np.array([pushes]), [params], steps)[0]
    return tuple(tuple(float(v) for v in row) for row in out)


# --------------------------------------------------------------------------
# reading a run: the end state, and when it was reached


_SHORT = {Configuration.MENAGE_A_TROIS: "MT", Configuration.ROMANTIC: "RT",
          Configuration.STABLE_MARRIAGE: "SM", Configuration.UNIT_VETO: "UV",
          Configuration.UNDETERMINED: "--"}


def _key_actor(signs: Signs) -> tuple[str, str] | None:
    """The actor that names a state: the pivot of a romantic triangle, the outcast of a marriage."""
    for role in (Role.PIVOT, Role.OUTCAST):
        found = [a for a, r in roles(signs).items() if r is role]
        if found:
            return found[0], role.value
    return None


def state_label(signs: Signs) -> str:
    """E.g. "stable marriage, US outcast" or "romantic triangle, RU pivot"."""
    config = classify(signs)
    key = _key_actor(signs)
    return config.value + (f", {key[0]} {key[1]}" if key else "")


def state_code(signs: Signs) -> str:
    """A short code for tables: SM:US-out, RT:RU-piv, MT, UV, or -- (undetermined)."""
    key = _key_actor(signs)
    code = _SHORT[classify(signs)]
    return code + (f":{key[0]}-{key[1][:3]}" if key else "")


@dataclass(frozen=True)
class Outcome:
    """Where a run ends and how long it took to get there."""

    end: Triangle
    signs: Signs
    configuration: Configuration
    roles: dict
    label: str
    #: The first step from which the end state holds to the end of the run.
    settled_at: int
    #: Whether the end signs equal the target (None without a target).
    reached: bool | None

    @property
    def state(self) -> tuple:
        return self.configuration, tuple(self.roles[a] for a in ACTORS)


def outcome(path: Sequence[Triangle], target: Signs | None = None,
            band: float = NEUTRAL_BAND) -> Outcome:
    """The end state of ``path`` (configuration, roles), the step from which it
    holds, and whether it equals ``target``."""
    p = _check_path(path)
    if not p:
        raise ValueError("outcome needs a path with at least one triangle")
    b = validate_band(band)
    signs = [t.signs(b) for t in p]
    settled = len(p) - 1
    while settled > 0 and signs[settled - 1] == signs[-1]:
        settled -= 1
    end = analyse(p[-1], b)
    reached = None if target is None else signs[-1] == _normalize_target(target)
    return Outcome(p[-1], signs[-1], end.configuration, dict(end.roles), state_label(signs[-1]),
                   settled, reached)


def _signs_array(scores: np.ndarray, band: float) -> np.ndarray:
    return np.where(np.abs(scores) < band, 0, np.sign(scores)).astype(int)


# --------------------------------------------------------------------------
# the smallest push that reaches a target, and the outcome map


_GRID = 61  # push sizes tried at once before the bisection
_SPLIT = 16  # each bisection round splits the bracket into this many parts


def _reached(starts: np.ndarray, pushes: np.ndarray, params: list, steps: int, target: np.ndarray,
             band: float) -> np.ndarray:
    ends = simulate_batch(starts, pushes, params, steps)[:, -1]
    return np.all(_signs_array(ends, band) == target, axis=1)


@lru_cache(maxsize=512)
def _minimal_push(start: tuple, direction: tuple, target: tuple, params: ModelParams, steps: int,
                  band: float, tolerance: float) -> float | None:
    d, goal = np.array(direction), np.array(target)
    sizes = np.linspace(0.0, MAX_PUSH, _GRID)
    starts = np.tile(np.array(start), (_GRID, 1))
    ok = _reached(starts, sizes[:, None] * d, [params] * _GRID, steps, goal, band)
    if not ok.any():
        return None
    first = int(np.argmax(ok))
    if first == 0:
        return 0.0
    low, high = float(sizes[first - 1]), float(sizes[first])
    inner = np.tile(np.array(start), (_SPLIT - 1, 1))
    while high - low > tolerance:
        # Bisection generalised: _SPLIT - 1 sizes inside the bracket in one batch run.
        tries = np.linspace(low, high, _SPLIT + 1)[1:-1]
        ok = _reached(inner, tries[:, None] * d, [params] * (_SPLIT - 1), steps, goal, band)
        if ok.any():
            i = int(np.argmax(ok))
            low, high = (float(tries[i - 1]) if i else low), float(tries[i])
        else:
            low = float(tries[-1])
    return round(high, 4)


def minimal_push(start: Triangle, scenario: Union[Scenario, str], params: ModelParams | None = None,
                 steps: int | None = None, band: float = NEUTRAL_BAND,
                 tolerance: float = 0.001) -> float | None:
    """The smallest sustained push per step (the scenario's direction scaled) whose
    run ends at the scenario's target signs; None if no push up to MAX_PUSH does.

    A grid of 61 sizes from 0 to MAX_PUSH finds the first that works; bisection
    between it and the size below (15 sizes per round, run together) then
    narrows it to ``tolerance``.  The answer
    is the smallest size on that search, rounded up to 4 decimals.  Where a
    larger push can fail again (see docs/scenario-model.md), the answer is the
    first success, not a guarantee for every larger push.  Cached per arguments.
    """
    tri = _as_triangle(start)
    sc = get_scenario(scenario)
    if sc.target is None:
        raise ValueError(f"scenario {sc.key!r} has no target, so no push can reach it")
    if sc.push_size == 0:
        raise ValueError(f"scenario {sc.key!r} pushes nothing, so it has no direction to scale")
    n = sc.steps if steps is None else _check_steps(steps)
    return _minimal_push(tuple(tri.as_dict().values()), sc.direction(),
                         tuple(sc.target.as_dict().values()), _check_params(params), n,
                         validate_band(band), _check_rate(tolerance, "tolerance", 0.1))


@dataclass(frozen=True)
class OutcomeMap:
    """End states over push sizes (columns) and cohesion values (rows)."""

    scenario: Scenario
    pushes: tuple[float, ...]
    cohesions: tuple[float, ...]
    codes: tuple[tuple[str, ...], ...]      # state_code per (cohesion, push)
    labels: tuple[tuple[str, ...], ...]     # state_label per (cohesion, push)
    reached: tuple[tuple[bool, ...], ...]   # target reached per (cohesion, push)

    def share_reached(self) -> float:
        """The share of the map's cells in which the target is reached."""
        cells = [v for row in self.reached for v in row]
        return sum(cells) / len(cells)

    def as_table(self) -> str:
        """A plain-text table: one row per cohesion value, one column per push; a
        star marks cells that reach the target."""
        width = max(8, *(len(c) + 2 for row in self.codes for c in row))  # room for the star
        head = "cohesion \\ push".ljust(16) + "".join(f"{p:>{width}.3f}" for p in self.pushes)
        lines = [head]
        for k, codes, hits in zip(self.cohesions, self.codes, self.reached):
            cells = "".join(f"{c + ('*' if h else ''):>{width}}" for c, h in zip(codes, hits))
            lines.append(f"{k:<16.3f}{cells}")
        return "\n".join(lines)


@lru_cache(maxsize=128)
def _outcome_map(start: tuple, direction: tuple, target: tuple | None, params: ModelParams,
                 steps: int, band: float, pushes: tuple, cohesions: tuple) -> tuple:
    grid = [(k, s) for k in cohesions for s in pushes]
    starts = np.tile(np.array(start), (len(grid), 1))
    push_rows = np.array([s * np.array(direction) for _, s in grid])
    rows = [params.with_(cohesion=k) for k, _ in grid]
    ends = _signs_array(simulate_batch(starts, push_rows, rows, steps)[:, -1], band)
    signs = [Signs(*map(int, e)) for e in ends]
    shape = (len(cohesions), len(pushes))

    def fold(values: list) -> tuple:
        return tuple(tuple(values[i * shape[1]:(i + 1) * shape[1]]) for i in range(shape[0]))

    hits = [target is not None and tuple(e) == target for e in ends.tolist()]
    return (fold([state_code(s) for s in signs]), fold([state_label(s) for s in signs]), fold(hits))


def _check_grid(values: object, what: str, high: float) -> tuple[float, ...]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{what} must be a non-empty list of numbers; got {values!r}")
    return tuple(_check_rate(v, f"each of {what}", high) for v in values)


#: The outcome map's default axes: pushes per step and China-Russia cohesion.
MAP_PUSHES: tuple[float, ...] = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
MAP_COHESIONS: tuple[float, ...] = (0.0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2)


def outcome_map(start: Triangle, scenario: Union[Scenario, str], params: ModelParams | None = None,
                pushes: Sequence[float] = MAP_PUSHES, cohesions: Sequence[float] = MAP_COHESIONS,
                steps: int | None = None, band: float = NEUTRAL_BAND) -> OutcomeMap:
    """Run the scenario's direction at every push size and cohesion value (all
    other parameters as ``params``); one batch run, cached per arguments."""
    tri = _as_triangle(start)
    sc = get_scenario(scenario)
    n = sc.steps if steps is None else _check_steps(steps)
    ps, ks = _check_grid(pushes, "pushes", MAX_PUSH), _check_grid(cohesions, "cohesions", 1.0)
    target = None if sc.target is None else tuple(sc.target.as_dict().values())
    codes, labels, hits = _outcome_map(tuple(tri.as_dict().values()), sc.direction(), target,
                                       _check_params(params), n, validate_band(band), ps, ks)
    return OutcomeMap(sc, ps, ks, codes, labels, hits)


@dataclass(frozen=True)
class OptionResult:
    """One option run from one start: the outcome at the given push, and the smallest push
    that reaches the target."""

    scenario: Scenario
    push: float
    outcome: Outcome
    minimal_push: float | None


def compare_options(start: Triangle, push: float = DEFAULT_PUSH, params: ModelParams | None = None,
                    steps: int = DEFAULT_STEPS, keys: Sequence[str] = OPTION_KEYS,
                    band: float = NEUTRAL_BAND) -> list[OptionResult]:
    """Every option in ``keys`` run from ``start`` at the same push size."""
    results = []
    for key in keys:
        sc = get_scenario(key)
        scaled = sc.scaled(push) if sc.push_size else sc
        path = simulate(start, scaled, steps=steps, params=params)
        need = (minimal_push(start, sc, params, steps, band)
                if sc.target is not None and sc.push_size else None)
        results.append(OptionResult(sc, push, outcome(path, sc.target, band), need))
    return results


# --------------------------------------------------------------------------
# text


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
