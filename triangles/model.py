"""The strategic-triangle model: pure functions, no widgets, no I/O.

A *triangle* holds one score in [-1, 1] for each of the three dyads of the
United States (US), China (CN) and Russia (RU): positive means amity,
negative means enmity.  Scores are reduced to signs with a neutral band
(``NEUTRAL_BAND``): a score whose absolute value is below the band counts as
neutral (sign 0), anything else takes the score's sign.

From the three signs the module derives:

* the **configuration** of the triangle, after Lowell Dittmer, "The Strategic
  Triangle: An Elementary Game-Theoretical Analysis", *World Politics* 33(4),
  1981: ménage à trois (amity all round), romantic triangle (one pivot in
  amity with two wings that are at enmity with each other) and stable
  marriage (two partners in amity, both at enmity with the outcast).  The
  fourth, all-enmity case is called "unit veto", a term taken from Morton
  Kaplan's "unit veto system" (System and Process in International Politics,
  1957).  Who first added it to the triangle is UNCONFIRMED: Yu-Shan Wu's
  own 2000 paper cites Dittmer's 1987 chapter "The Strategic Triangle: A
  Critical Review" (p. 34) at that point, but we could not read that chapter.
* each actor's **role**, after Yu-Shan Wu, "Exploring Dual Triangles: The
  Development of Taipei-Washington-Beijing Relations", *Issues & Studies*
  32(10), 1996: pivot, wing, partner, outcast, friend, foe.
* Wu's **ranking** of the roles by desirability.  Wu's table (1996, p. 30,
  reproduced in his 2000 "Unintending Pivot" paper, p. 195) ranks
  pivot 1, friend 2, partner 3, wing 4, foe ("enemy") 5, outcast 6.  Note
  that friend ranks ABOVE partner.  The ranking equals sorting the roles by
  (number of the actor's own amities, most first; then whether the other two
  are at enmity, enmity preferred), which is how ``ROLE_RANK`` is explained
  below.  The numeric ``role_score`` is our derivation, NOT confirmed as
  Wu's: see its docstring.
* **structural balance**, after Heider (1946) and Cartwright & Harary (1956):
  a triangle is balanced when the product of its three signs is positive.

See docs/model-references.md for sources, pages and what stays unconfirmed.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from enum import Enum
from itertools import product
from typing import Mapping, Union

__all__ = [
    "ACTORS",
    "DYADS",
    "ACTOR_NAMES",
    "NEUTRAL_BAND",
    "Configuration",
    "Role",
    "ROLE_RANK",
    "role_rank",
    "role_score",
    "Triangle",
    "Signs",
    "all_signs",
    "dyad_key",
    "normalize_dyad",
    "own_dyads",
    "other_dyad",
    "sign_of",
    "validate_band",
    "classify",
    "role_of",
    "roles",
    "actor_score",
    "is_balanced",
    "pivot",
    "outcast",
    "actors_with_role",
    "Move",
    "improving_moves",
    "wedge_moves",
    "Analysis",
    "analyse",
    "summary",
]

ACTORS: tuple[str, str, str] = ("US", "CN", "RU")
DYADS: tuple[str, str, str] = ("US-CN", "US-RU", "CN-RU")  # canonical keys
ACTOR_NAMES: dict[str, str] = {"US": "United States", "CN": "China", "RU": "Russia"}

#: |score| < NEUTRAL_BAND counts as neutral (sign 0); |score| >= NEUTRAL_BAND
#: takes the score's sign.  0.2 is a teaching choice, not a literature value.
NEUTRAL_BAND: float = 0.2

# Dataclass field name for each canonical dyad key, and back.
_FIELD_OF = {"US-CN": "us_cn", "US-RU": "us_ru", "CN-RU": "cn_ru"}
_DYAD_OF_PAIR = {frozenset(d.split("-")): d for d in DYADS}


class Configuration(str, Enum):
    """The shape of the triangle (Dittmer 1981, plus "unit veto")."""

    MENAGE_A_TROIS = "ménage à trois"
    ROMANTIC = "romantic triangle"
    STABLE_MARRIAGE = "stable marriage"
    UNIT_VETO = "unit veto"
    UNDETERMINED = "undetermined (a neutral dyad)"


class Role(str, Enum):
    """An actor's position in the triangle (Yu-Shan Wu 1996; the six roles and
    their ranking as reproduced in Wu 2000, pp. 193-195)."""

    PIVOT = "pivot"
    WING = "wing"
    PARTNER = "partner"
    OUTCAST = "outcast"
    FRIEND = "friend"
    FOE = "foe"
    NONE = "no role (a neutral dyad)"


#: Wu's desirability ranking, 1 = best (Wu 1996, p. 30; table reproduced in
#: Wu 2000, p. 195).  Role.NONE has no rank and is deliberately absent; use
#: ``role_rank`` for a lookup that returns None for it.
ROLE_RANK: dict[Role, int] = {
    Role.PIVOT: 1,
    Role.FRIEND: 2,
    Role.PARTNER: 3,
    Role.WING: 4,
    Role.FOE: 5,
    Role.OUTCAST: 6,
}

# Derived score (see role_score): +1 per own amity, -1 per own enmity,
# +1 if the other two are at enmity, -1 if they are in amity.
_ROLE_SCORE: dict[Role, int] = {
    Role.PIVOT: 3,
    Role.FRIEND: 1,
    Role.PARTNER: 1,
    Role.WING: -1,
    Role.FOE: -1,
    Role.OUTCAST: -3,
}

# The role as a function of (own amities, sign of the other dyad).  This is
# the whole role logic; ROLE_RANK is the lexicographic order of these keys.
_ROLE_BY_PATTERN: dict[tuple[int, int], Role] = {
    (2, -1): Role.PIVOT,
    (2, 1): Role.FRIEND,
    (1, -1): Role.PARTNER,
    (1, 1): Role.WING,
    (0, -1): Role.FOE,
    (0, 1): Role.OUTCAST,
}

_RELATION_WORD = {1: "amity", 0: "neutral", -1: "enmity"}
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 5: "5th", 6: "6th"}


def _as_role(role: object) -> Role:
    try:
        return Role(role)
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        raise ValueError(f"unknown role {role!r}; allowed: {allowed}") from None


def role_rank(role: Role | str) -> int | None:
    """Wu's rank of ``role`` (1 = best, 6 = worst); None for Role.NONE."""
    return ROLE_RANK.get(_as_role(role))


def role_score(role: Role | str) -> int:
    """A structural score for ``role``: +1 per own amity, -1 per own enmity,
    +1 if the other two actors are at enmity, -1 if they are in amity.

    Pivot 3, friend 1, partner 1, wing -1, foe -1, outcast -3.

    UNCONFIRMED as Wu's own scoring: we could not read Wu (1996).  The score
    agrees with his ranking (it never orders two roles the opposite way) and
    with the four-level column of his table as reproduced in Wu (2000,
    p. 195), but it ties friend with partner and wing with foe; the ranking
    breaks those ties in favour of the role with more own amities.
    Role.NONE has no score and raises ValueError.
    """
    r = _as_role(role)
    if r is Role.NONE:
        raise ValueError("Role.NONE has no score: a neutral dyad leaves the role undefined")
    return _ROLE_SCORE[r]


# --------------------------------------------------------------------------
# actors and dyads


def _check_actor(actor: object, what: str = "actor") -> str:
    if not isinstance(actor, str) or actor.strip().upper() not in ACTORS:
        raise ValueError(f"unknown {what} {actor!r}; allowed: {', '.join(ACTORS)}")
    return actor.strip().upper()


def dyad_key(a: str, b: str) -> str:
    """Canonical key ("US-CN", "US-RU" or "CN-RU") of the dyad of ``a`` and ``b``."""
    a_, b_ = _check_actor(a), _check_actor(b)
    if a_ == b_:
        raise ValueError(f"a dyad needs two different actors; got {a!r} twice")
    return _DYAD_OF_PAIR[frozenset((a_, b_))]


def normalize_dyad(key: object) -> str:
    """Canonical key for a dyad written either way round ("CN-US" -> "US-CN")."""
    if isinstance(key, str):
        parts = [p.strip().upper() for p in key.split("-")]
        if len(parts) == 2 and parts[0] != parts[1]:
            found = _DYAD_OF_PAIR.get(frozenset(parts))
            if found is not None:
                return found
    raise ValueError(
        f"unknown dyad {key!r}; allowed: {', '.join(DYADS)} (either order, e.g. 'CN-US')"
    )


def own_dyads(actor: str) -> tuple[str, str]:
    """The two dyads ``actor`` belongs to, in DYADS order."""
    a = _check_actor(actor)
    return tuple(d for d in DYADS if a in d.split("-"))  # type: ignore[return-value]


def other_dyad(actor: str) -> str:
    """The dyad between the two actors other than ``actor``."""
    a = _check_actor(actor)
    return next(d for d in DYADS if a not in d.split("-"))


def _keys_from_mapping(m: object, what: str) -> dict[str, object]:
    """Map canonical dyad keys to the values of ``m``; reject bad key sets.

    ``m`` is a mapping, or a one-dimensional labelled object with ``.items()`` such as one row of a
    pandas table (``for option, row in table.iterrows()``), read label by label."""
    if isinstance(m, Mapping):
        pairs = m.items()
    elif callable(getattr(m, "items", None)) and getattr(m, "ndim", None) == 1:
        pairs = m.items()  # duck-typed: the model imports no pandas
    else:
        raise ValueError(f"{what} needs a mapping of dyad -> value (a dict, or one row of a table); "
                         f"got {type(m).__name__}")
    out: dict[str, object] = {}
    unknown: list[str] = []
    duplicated: list[str] = []
    for key, value in pairs:
        try:
            canon = normalize_dyad(key)
        except ValueError:
            unknown.append(repr(key))
            continue
        if canon in out:
            duplicated.append(canon)
        out[canon] = value
    problems = []
    if unknown:
        problems.append(f"unknown keys {', '.join(unknown)}")
    if duplicated:
        problems.append(f"dyads given twice (both orders?) {', '.join(duplicated)}")
    missing = [d for d in DYADS if d not in out]
    if missing:
        problems.append(f"missing dyads {', '.join(missing)}")
    if problems:
        raise ValueError(
            f"{what}: {'; '.join(problems)}; expected exactly the keys {', '.join(DYADS)} "
            "(either order, e.g. 'CN-US')"
        )
    return out


def _is_real(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def validate_band(band: object) -> float:
    """Return ``band`` as a float, or raise ValueError unless 0 <= band < 1."""
    if not _is_real(band) or not math.isfinite(band) or not 0.0 <= band < 1.0:  # type: ignore[arg-type]
        raise ValueError(f"band must be a number in [0, 1); got {band!r}")
    return float(band)  # type: ignore[arg-type]


def _check_score(value: object, dyad: str) -> float:
    if not _is_real(value):
        raise ValueError(
            f"{dyad} score must be a real number in [-1, 1]; got {value!r} ({type(value).__name__})"
        )
    v = float(value)  # type: ignore[arg-type]
    if not math.isfinite(v):
        raise ValueError(f"{dyad} score must be finite, in [-1, 1]; got {value!r}")
    if not -1.0 <= v <= 1.0:
        raise ValueError(f"{dyad} score must be in [-1, 1]; got {value!r}")
    return v


def _check_sign(value: object, dyad: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value not in (-1, 0, 1):
        raise ValueError(f"{dyad} sign must be one of -1, 0, 1 (an int); got {value!r}")
    return int(value)


# --------------------------------------------------------------------------
# value types


@dataclass(frozen=True)
class Triangle:
    """Scores in [-1, 1] for the three dyads: +1 full amity, -1 full enmity."""

    us_cn: float
    us_ru: float
    cn_ru: float

    def __post_init__(self) -> None:
        for dyad, name in _FIELD_OF.items():
            object.__setattr__(self, name, _check_score(getattr(self, name), dyad))

    @classmethod
    def from_mapping(cls, m: Mapping[str, float]) -> "Triangle":
        """Build from {"US-CN": .., "US-RU": .., "CN-RU": ..} or one row of a table with those
        columns (a pandas Series); keys either order."""
        vals = _keys_from_mapping(m, "Triangle.from_mapping")
        return cls(**{_FIELD_OF[d]: vals[d] for d in DYADS})  # type: ignore[arg-type]

    def relation(self, a: str, b: str) -> float:
        """Score of the dyad of ``a`` and ``b`` (either order)."""
        return getattr(self, _FIELD_OF[dyad_key(a, b)])

    def as_dict(self) -> dict[str, float]:
        return {d: getattr(self, _FIELD_OF[d]) for d in DYADS}

    def signs(self, band: float = NEUTRAL_BAND) -> "Signs":
        b = validate_band(band)
        return Signs(**{name: sign_of(getattr(self, name), b) for name in _FIELD_OF.values()})


@dataclass(frozen=True)
class Signs:
    """Signs (-1 enmity, 0 neutral, +1 amity) of the three dyads."""

    us_cn: int
    us_ru: int
    cn_ru: int

    def __post_init__(self) -> None:
        for dyad, name in _FIELD_OF.items():
            object.__setattr__(self, name, _check_sign(getattr(self, name), dyad))

    @classmethod
    def from_mapping(cls, m: Mapping[str, int]) -> "Signs":
        """Build from {"US-CN": .., "US-RU": .., "CN-RU": ..} or one row of a table with those
        columns (a pandas Series); keys either order."""
        vals = _keys_from_mapping(m, "Signs.from_mapping")
        return cls(**{_FIELD_OF[d]: vals[d] for d in DYADS})  # type: ignore[arg-type]

    def relation(self, a: str, b: str) -> int:
        """Sign of the dyad of ``a`` and ``b`` (either order)."""
        return getattr(self, _FIELD_OF[dyad_key(a, b)])

    def as_dict(self) -> dict[str, int]:
        return {d: getattr(self, _FIELD_OF[d]) for d in DYADS}

    def with_dyad(self, dyad: str, sign: int) -> "Signs":
        """A copy with one dyad set to ``sign``."""
        d = normalize_dyad(dyad)
        values = self.as_dict()
        values[d] = _check_sign(sign, d)
        return Signs.from_mapping(values)


def all_signs() -> list[Signs]:
    """All 27 points of {-1, 0, 1}^3, in a fixed order."""
    return [Signs(a, b, c) for a, b, c in product((-1, 0, 1), repeat=3)]


# --------------------------------------------------------------------------
# classification


def sign_of(score: float, band: float = NEUTRAL_BAND) -> int:
    """-1, 0 or +1: zero when |score| < band, otherwise the sign of ``score``."""
    b = validate_band(band)
    v = _check_score(score, "score")
    if abs(v) < b or v == 0.0:
        return 0
    return 1 if v > 0 else -1


def _check_signs(signs: object) -> Signs:
    if not isinstance(signs, Signs):
        raise ValueError(f"expected a Signs value; got {type(signs).__name__}")
    return signs


def classify(signs: Signs) -> Configuration:
    """Configuration of the triangle; UNDETERMINED when any dyad is neutral."""
    s = tuple(_check_signs(signs).as_dict().values())
    if 0 in s:
        return Configuration.UNDETERMINED
    return {
        3: Configuration.MENAGE_A_TROIS,
        2: Configuration.ROMANTIC,
        1: Configuration.STABLE_MARRIAGE,
        0: Configuration.UNIT_VETO,
    }[s.count(1)]


def role_of(signs: Signs, actor: str) -> Role:
    """Role of one actor: decided by its own two relations and the other dyad."""
    s = _check_signs(signs)
    a = _check_actor(actor)
    own = [s.relation(*d.split("-")) for d in own_dyads(a)]
    other = s.relation(*other_dyad(a).split("-"))
    if 0 in own or other == 0:
        # One neutral dyad leaves the whole triangle undefined, so every
        # actor gets NONE, including those whose own relations are clear.
        return Role.NONE
    return _ROLE_BY_PATTERN[(own.count(1), other)]


def roles(signs: Signs) -> dict[str, Role]:
    """Role of every actor, in ACTORS order; Role.NONE where any dyad is neutral."""
    s = _check_signs(signs)
    return {a: role_of(s, a) for a in ACTORS}


def actor_score(signs: Signs, actor: str) -> int:
    """The ``role_score`` formula applied directly to the signs (neutral counts 0).

    For a triangle without neutral dyads this equals ``role_score`` of the
    actor's role.  Derived, not confirmed as Wu's (see ``role_score``).
    """
    s = _check_signs(signs)
    a = _check_actor(actor)
    own = sum(s.relation(*d.split("-")) for d in own_dyads(a))
    return own - s.relation(*other_dyad(a).split("-"))


def is_balanced(signs: Signs) -> bool | None:
    """Structural balance (Heider; Cartwright & Harary): product of signs > 0.

    None when any dyad is neutral, since balance is defined for signed
    relations only.
    """
    s = _check_signs(signs)
    p = s.us_cn * s.us_ru * s.cn_ru
    return None if p == 0 else p > 0


def actors_with_role(signs: Signs, role: Role | str) -> tuple[str, ...]:
    """Actors holding ``role``, in ACTORS order."""
    r = _as_role(role)
    return tuple(a for a, ar in roles(signs).items() if ar is r)


def pivot(signs: Signs) -> str | None:
    """The pivot of a romantic triangle, else None."""
    found = actors_with_role(signs, Role.PIVOT)
    return found[0] if found else None


def outcast(signs: Signs) -> str | None:
    """The outcast of a stable marriage, else None."""
    found = actors_with_role(signs, Role.OUTCAST)
    return found[0] if found else None


# --------------------------------------------------------------------------
# moves


@dataclass(frozen=True)
class Move:
    """One dyad changing sign, seen from ``actor``'s point of view.

    For ``improving_moves`` the dyad is one of the actor's own; for
    ``wedge_moves`` it is the dyad between the other two.
    """

    actor: str
    dyad: str
    from_sign: int
    to_sign: int
    role_before: Role
    role_after: Role
    configuration_after: Configuration

    def __post_init__(self) -> None:
        object.__setattr__(self, "actor", _check_actor(self.actor))
        object.__setattr__(self, "dyad", normalize_dyad(self.dyad))
        for name in ("from_sign", "to_sign"):
            object.__setattr__(self, name, _check_sign(getattr(self, name), f"Move.{name}"))
        for name in ("role_before", "role_after"):
            object.__setattr__(self, name, _as_role(getattr(self, name)))
        try:
            object.__setattr__(self, "configuration_after", Configuration(self.configuration_after))
        except ValueError:
            allowed = ", ".join(c.value for c in Configuration)
            raise ValueError(
                f"unknown configuration {self.configuration_after!r}; allowed: {allowed}"
            ) from None

    @property
    def own(self) -> bool:
        """True when ``actor`` is one of the two parties of ``dyad``."""
        return self.actor in self.dyad.split("-")

    def describe(self) -> str:
        name = _display_name(self.actor)
        name = name[0].upper() + name[1:]
        change = f"{self.dyad} from {_RELATION_WORD[self.from_sign]} to {_RELATION_WORD[self.to_sign]}"
        before, after = role_rank(self.role_before), role_rank(self.role_after)
        ranks = f" (Wu's rank {before} → {after})" if before and after else ""
        if self.own:
            head = f"{name} could turn {change}"
        else:
            change = (f"{self.dyad} turned from {_RELATION_WORD[self.from_sign]} "
                      f"to {_RELATION_WORD[self.to_sign]}")
            head = f"{name} would gain if {change} (a wedge between the other two)"
        return (
            f"{head}: its role goes from {self.role_before.value} to "
            f"{self.role_after.value}{ranks}, and the triangle becomes a "
            f"{self.configuration_after.value}."
        )


def _moves_on(signs: Signs, actor: str, dyads: tuple[str, ...]) -> list[Move]:
    s = _check_signs(signs)
    a = _check_actor(actor)
    before = role_of(s, a)
    rank_before = role_rank(before)
    if rank_before is None:
        # With a neutral dyad there is no rank to improve on.
        return []
    moves = []
    for d in dyads:
        current = s.as_dict()[d]
        # Only a flip can improve: moving to neutral always gives Role.NONE.
        after_signs = s.with_dyad(d, -current)
        after = role_of(after_signs, a)
        if ROLE_RANK[after] < rank_before:
            moves.append(Move(a, d, current, -current, before, after, classify(after_signs)))
    moves.sort(key=lambda m: (ROLE_RANK[m.role_after], DYADS.index(m.dyad)))
    return moves


def improving_moves(signs: Signs, actor: str) -> list[Move]:
    """Single sign changes of ``actor``'s OWN two dyads that improve its Wu rank.

    Sorted best first (then by DYADS order).  Empty when the actor already
    holds a locally best role, or when any dyad is neutral (no rank then).
    """
    return _moves_on(signs, actor, own_dyads(actor))


def wedge_moves(signs: Signs, actor: str) -> list[Move]:
    """Changes of the OTHER dyad (between the two other actors) that would
    improve ``actor``'s Wu rank: the wedge logic.

    The actor cannot make these changes itself; they show what it would like
    to encourage.  Under Wu's ranking the other two falling out is always
    better for the third (friend -> pivot, wing -> partner, outcast -> foe).
    """
    return _moves_on(signs, actor, (other_dyad(actor),))


# --------------------------------------------------------------------------
# analysis and plain-English summary


@dataclass(frozen=True)
class Analysis:
    """Everything the model says about one triangle."""

    triangle: Triangle | None
    signs: Signs
    configuration: Configuration
    roles: dict[str, Role]
    balanced: bool | None
    band: float = NEUTRAL_BAND


def analyse(t: Union[Triangle, Signs], band: float = NEUTRAL_BAND) -> Analysis:
    """Classify a Triangle (scores) or Signs; ``band`` only matters for scores."""
    b = validate_band(band)
    if isinstance(t, Triangle):
        triangle, signs = t, t.signs(b)
    elif isinstance(t, Signs):
        triangle, signs = None, t
    else:
        raise ValueError(f"analyse needs a Triangle or Signs; got {type(t).__name__}")
    return Analysis(triangle, signs, classify(signs), roles(signs), is_balanced(signs), b)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _display_name(actor: str) -> str:
    # "the United States" reads better mid-sentence; China and Russia take no article.
    name = ACTOR_NAMES[actor]
    return "the " + name if name.startswith("United") else name


def _role_phrase(analysis: Analysis) -> str:
    names = {a: _display_name(a) for a in ACTORS}
    by_role: dict[Role, list[str]] = {}
    for a in ACTORS:
        by_role.setdefault(analysis.roles[a], []).append(names[a])
    c = analysis.configuration
    if c is Configuration.MENAGE_A_TROIS:
        text = "all three are friends of one another"
    elif c is Configuration.UNIT_VETO:
        text = "all three are foes of one another"
    elif c is Configuration.ROMANTIC:
        text = (f"{by_role[Role.PIVOT][0]} is the pivot, courted by "
                f"{_join(by_role[Role.WING])} as wings who are at odds with each other")
    else:
        text = (f"{_join(by_role[Role.PARTNER])} are partners and "
                f"{by_role[Role.OUTCAST][0]} is the outcast")
    ranks = [
        f"{role.value} {_ORDINAL[ROLE_RANK[role]]}"
        for role in sorted(by_role, key=lambda r: ROLE_RANK[r])
    ]
    return f"{text} (Wu ranks {_join(ranks)} of six roles)"


def summary(analysis: Analysis) -> str:
    """One plain-English paragraph: relations, configuration, roles, balance.

    Deterministic; meant as the text alternative of the triangle widget.
    """
    if not isinstance(analysis, Analysis):
        raise ValueError(f"summary needs an Analysis (see analyse); got {type(analysis).__name__}")
    s = analysis.signs.as_dict()
    parts = []
    for d in DYADS:
        word = _RELATION_WORD[s[d]]
        if analysis.triangle is not None:
            word += f" ({analysis.triangle.as_dict()[d]:+.2f})"
        parts.append(f"{d} {word}")
    if analysis.triangle is not None:
        lead = (f"Relations (scores strictly between -{analysis.band:.2f} and "
                f"+{analysis.band:.2f} count as neutral): ")
    else:
        lead = "Relations: "
    sentences = [lead + "; ".join(parts) + "."]
    c = analysis.configuration
    if c is Configuration.UNDETERMINED:
        neutral = [d for d in DYADS if s[d] == 0]
        verb = "is" if len(neutral) == 1 else "are"
        sentences.append(
            f"The configuration is undetermined because {_join(neutral)} {verb} neutral, "
            "so no actor has a role and structural balance is undefined."
        )
    else:
        sentences.append(f"The configuration is a {c.value}: {_role_phrase(analysis)}.")
        if analysis.balanced:
            sentences.append(
                "The triangle is structurally balanced (the product of the three signs is "
                "positive), so balance theory expects no internal pressure to change."
            )
        else:
            sentences.append(
                "The triangle is structurally unbalanced (the product of the three signs is "
                "negative), so balance theory expects pressure for some relation to change."
            )
    return " ".join(sentences)
