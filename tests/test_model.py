"""Tests for triangles.model: configurations, roles, Wu's ranking, balance, errors."""

from __future__ import annotations

import math
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triangles.model import (
    ACTOR_NAMES,
    ACTORS,
    DYADS,
    NEUTRAL_BAND,
    ROLE_RANK,
    Analysis,
    Configuration,
    Move,
    Role,
    Signs,
    Triangle,
    actor_score,
    actors_with_role,
    all_signs,
    analyse,
    classify,
    dyad_key,
    improving_moves,
    is_balanced,
    normalize_dyad,
    other_dyad,
    outcast,
    own_dyads,
    pivot,
    role_of,
    role_rank,
    role_score,
    roles,
    sign_of,
    summary,
    wedge_moves,
)

P, F, W, PA, O, FO, N = (Role.PIVOT, Role.FRIEND, Role.WING, Role.PARTNER,
                         Role.OUTCAST, Role.FOE, Role.NONE)

# Every point of {-1, 1}^3 with the configuration, the roles (US, CN, RU) and
# the structural balance the literature assigns to it.
FULL_CASES = [
    ((1, 1, 1), Configuration.MENAGE_A_TROIS, (F, F, F), True),
    ((1, 1, -1), Configuration.ROMANTIC, (P, W, W), False),     # US pivot
    ((1, -1, 1), Configuration.ROMANTIC, (W, P, W), False),     # CN pivot
    ((-1, 1, 1), Configuration.ROMANTIC, (W, W, P), False),     # RU pivot
    ((1, -1, -1), Configuration.STABLE_MARRIAGE, (PA, PA, O), True),  # RU outcast
    ((-1, 1, -1), Configuration.STABLE_MARRIAGE, (PA, O, PA), True),  # CN outcast
    ((-1, -1, 1), Configuration.STABLE_MARRIAGE, (O, PA, PA), True),  # US outcast
    ((-1, -1, -1), Configuration.UNIT_VETO, (FO, FO, FO), False),
]

NEUTRAL_POINTS = [s for s in product((-1, 0, 1), repeat=3) if 0 in s]

sign_values = st.sampled_from((-1, 0, 1))
signs_strategy = st.builds(Signs, sign_values, sign_values, sign_values)
nonzero_signs = st.builds(Signs, *(st.sampled_from((-1, 1)),) * 3)
actor_strategy = st.sampled_from(ACTORS)
score_strategy = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)


def relabel(signs: Signs, mapping: dict[str, str]) -> Signs:
    """Signs after renaming each actor a to mapping[a] (written independently of the model)."""
    new = {}
    for a, b in (("US", "CN"), ("US", "RU"), ("CN", "RU")):
        pair = {mapping[a], mapping[b]}
        key = next(d for d in DYADS if set(d.split("-")) == pair)
        new[key] = signs.relation(a, b)
    return Signs.from_mapping(new)


# --------------------------------------------------------------------------
# constants


def test_constants_match_the_published_api():
    assert ACTORS == ("US", "CN", "RU")
    assert DYADS == ("US-CN", "US-RU", "CN-RU")
    assert ACTOR_NAMES == {"US": "United States", "CN": "China", "RU": "Russia"}
    assert NEUTRAL_BAND == 0.2
    assert Configuration.MENAGE_A_TROIS.value == "ménage à trois"
    assert Configuration.UNDETERMINED.value == "undetermined (a neutral dyad)"
    assert Role.NONE.value == "no role (a neutral dyad)"
    assert {r.value for r in Role} == {
        "pivot", "wing", "partner", "outcast", "friend", "foe", "no role (a neutral dyad)"}


# --------------------------------------------------------------------------
# configurations, roles and balance for every sign pattern


@pytest.mark.parametrize("pattern, config, expected_roles, balanced", FULL_CASES)
def test_every_full_sign_pattern(pattern, config, expected_roles, balanced):
    s = Signs(*pattern)
    assert classify(s) is config
    assert roles(s) == dict(zip(ACTORS, expected_roles))
    assert is_balanced(s) is balanced


@pytest.mark.parametrize("pattern", NEUTRAL_POINTS)
def test_any_neutral_dyad_leaves_configuration_roles_and_balance_undetermined(pattern):
    s = Signs(*pattern)
    assert classify(s) is Configuration.UNDETERMINED
    assert roles(s) == {a: Role.NONE for a in ACTORS}
    assert is_balanced(s) is None


def test_all_signs_is_the_whole_27_point_space():
    points = [tuple(s.as_dict().values()) for s in all_signs()]
    assert len(points) == 27 == len(set(points))
    assert set(points) == set(product((-1, 0, 1), repeat=3))


def test_classification_is_total_over_the_sign_space():
    seen = {classify(s) for s in all_signs()}
    assert seen == set(Configuration)  # every point classified, every class reached


@pytest.mark.parametrize("role", [P, W, PA, O, F, FO])
def test_every_role_occurs_in_some_full_pattern(role):
    assert any(role in r for _, _, r, _ in FULL_CASES)
    assert any(role in roles(s).values() for s in all_signs())


def test_pivot_and_outcast_helpers():
    assert pivot(Signs(1, -1, 1)) == "CN"
    assert pivot(Signs(1, 1, 1)) is None
    assert outcast(Signs(-1, -1, 1)) == "US"
    assert outcast(Signs(-1, 1, 1)) is None
    assert actors_with_role(Signs(-1, -1, 1), "partner") == ("CN", "RU")
    assert role_of(Signs(1, 1, -1), "us") is Role.PIVOT  # actor codes are case-insensitive


def test_own_and_other_dyads():
    assert own_dyads("US") == ("US-CN", "US-RU")
    assert own_dyads("CN") == ("US-CN", "CN-RU")
    assert own_dyads("RU") == ("US-RU", "CN-RU")
    assert [other_dyad(a) for a in ACTORS] == ["CN-RU", "US-RU", "US-CN"]


# --------------------------------------------------------------------------
# Wu's ranking


def test_role_rank_follows_wu_table():
    # Wu (1996) p. 30, as reproduced in Wu (2000) p. 195: friend above partner.
    order = sorted(ROLE_RANK, key=ROLE_RANK.get)
    assert order == [Role.PIVOT, Role.FRIEND, Role.PARTNER, Role.WING, Role.FOE, Role.OUTCAST]
    assert sorted(ROLE_RANK.values()) == [1, 2, 3, 4, 5, 6]
    assert Role.NONE not in ROLE_RANK
    assert role_rank(Role.NONE) is None
    assert role_rank("friend") == 2


def test_rank_is_own_amities_first_then_enmity_between_the_other_two():
    # Derive the order from the sign patterns themselves, not from the table.
    keyed = {}
    for pattern, _, expected_roles, _ in FULL_CASES:
        s = Signs(*pattern)
        for actor, role in zip(ACTORS, expected_roles):
            own = sum(s.relation(*d.split("-")) == 1 for d in own_dyads(actor))
            other = s.relation(*other_dyad(actor).split("-"))
            keyed[role] = (-own, other)  # more amities first, then enmity (-1) first
    assert sorted(keyed, key=keyed.get) == sorted(ROLE_RANK, key=ROLE_RANK.get)


def test_role_scores():
    assert {r: role_score(r) for r in ROLE_RANK} == {
        P: 3, F: 1, PA: 1, W: -1, FO: -1, O: -3}
    with pytest.raises(ValueError, match="no score"):
        role_score(Role.NONE)
    with pytest.raises(ValueError, match="unknown role 'king'"):
        role_score("king")


def test_score_never_contradicts_the_rank():
    for a, b in product(ROLE_RANK, repeat=2):
        if ROLE_RANK[a] < ROLE_RANK[b]:
            assert role_score(a) >= role_score(b), (a, b)


@given(nonzero_signs, actor_strategy)
def test_actor_score_matches_role_score(s, actor):
    assert actor_score(s, actor) == role_score(roles(s)[actor])


# --------------------------------------------------------------------------
# property-based: relabelling, totality, balance


@given(signs_strategy, st.permutations(ACTORS))
def test_relabelling_actors_permutes_roles(s, perm):
    mapping = dict(zip(ACTORS, perm))
    relabelled = relabel(s, mapping)
    new_roles = roles(relabelled)
    for a, r in roles(s).items():
        assert new_roles[mapping[a]] is r
    assert classify(relabelled) is classify(s)


@given(signs_strategy, st.permutations(ACTORS))
def test_balance_is_invariant_under_relabelling(s, perm):
    assert is_balanced(relabel(s, dict(zip(ACTORS, perm)))) == is_balanced(s)


@given(signs_strategy)
def test_classification_and_roles_are_total_and_consistent(s):
    config = classify(s)
    assert isinstance(config, Configuration)
    r = roles(s)
    assert list(r) == list(ACTORS)
    counts = sorted(role.value for role in r.values())
    expected = {
        Configuration.MENAGE_A_TROIS: ["friend"] * 3,
        Configuration.ROMANTIC: ["pivot", "wing", "wing"],
        Configuration.STABLE_MARRIAGE: ["outcast", "partner", "partner"],
        Configuration.UNIT_VETO: ["foe"] * 3,
        Configuration.UNDETERMINED: ["no role (a neutral dyad)"] * 3,
    }[config]
    assert counts == expected
    product_of_signs = s.us_cn * s.us_ru * s.cn_ru
    assert is_balanced(s) == (None if product_of_signs == 0 else product_of_signs > 0)


# --------------------------------------------------------------------------
# moves


@given(signs_strategy, actor_strategy)
def test_improving_moves_really_improve_and_are_complete(s, actor):
    moves = improving_moves(s, actor)
    for m in moves:
        after = s.with_dyad(m.dyad, m.to_sign)
        assert m.dyad in own_dyads(actor)
        assert m.from_sign == s.as_dict()[m.dyad] and m.to_sign != m.from_sign
        assert m.role_before is roles(s)[actor]
        assert m.role_after is roles(after)[actor]
        assert m.configuration_after is classify(after)
        assert ROLE_RANK[m.role_after] < ROLE_RANK[m.role_before]
    assert [ROLE_RANK[m.role_after] for m in moves] == sorted(ROLE_RANK[m.role_after] for m in moves)
    # Brute force: every single own-dyad change that improves the rank is listed.
    before = role_rank(roles(s)[actor])
    expected = set()
    for d, v in product(own_dyads(actor), (-1, 0, 1)):
        after_rank = role_rank(roles(s.with_dyad(d, v))[actor])
        if before is not None and after_rank is not None and after_rank < before:
            expected.add((d, v))
    assert {(m.dyad, m.to_sign) for m in moves} == expected


@given(signs_strategy, actor_strategy)
def test_wedge_moves_change_only_the_other_dyad_and_improve(s, actor):
    for m in wedge_moves(s, actor):
        assert m.dyad == other_dyad(actor) and not m.own
        assert ROLE_RANK[m.role_after] < ROLE_RANK[m.role_before]
        assert m.role_after is roles(s.with_dyad(m.dyad, m.to_sign))[actor]


def test_outcast_can_improve_to_wing_and_wants_a_wedge():
    s = Signs(-1, -1, 1)  # US outcast of a China-Russia marriage
    moves = improving_moves(s, "US")
    assert [(m.dyad, m.to_sign, m.role_after) for m in moves] == [
        ("US-CN", 1, Role.WING), ("US-RU", 1, Role.WING)]
    assert all(m.configuration_after is Configuration.ROMANTIC for m in moves)
    (wedge,) = wedge_moves(s, "US")
    assert (wedge.dyad, wedge.from_sign, wedge.to_sign) == ("CN-RU", 1, -1)
    assert wedge.role_after is Role.FOE


def test_partner_becomes_pivot_by_befriending_the_outcast():
    s = Signs(-1, -1, 1)
    (move,) = improving_moves(s, "CN")
    assert (move.dyad, move.to_sign, move.role_after) == ("US-CN", 1, Role.PIVOT)


def test_friend_gains_from_a_wedge_between_the_other_two():
    (m,) = wedge_moves(Signs(1, 1, 1), "US")
    assert (m.dyad, m.to_sign, m.role_after) == ("CN-RU", -1, Role.PIVOT)


@pytest.mark.parametrize("pattern, actor", [((1, 1, -1), "US"), ((1, 1, 1), "RU")])
def test_pivot_and_friend_have_no_improving_own_move(pattern, actor):
    assert improving_moves(Signs(*pattern), actor) == []


def test_no_moves_when_a_dyad_is_neutral():
    assert improving_moves(Signs(-1, 0, 1), "US") == []
    assert wedge_moves(Signs(-1, 0, 1), "CN") == []


def test_move_describe():
    (m,) = improving_moves(Signs(-1, -1, 1), "CN")
    text = m.describe()
    assert text.startswith("China could turn US-CN from enmity to amity")
    assert "partner to pivot" in text and "rank 3 → 1" in text and "romantic triangle" in text
    (w,) = wedge_moves(Signs(-1, -1, 1), "US")
    assert w.describe().startswith("The United States would gain if CN-RU turned from amity to enmity")


def test_move_rejects_bad_fields():
    good = dict(actor="US", dyad="CN-US", from_sign=-1, to_sign=1, role_before="outcast",
                role_after=Role.WING, configuration_after="romantic triangle")
    m = Move(**good)
    assert m.dyad == "US-CN" and m.role_before is Role.OUTCAST
    with pytest.raises(ValueError, match="unknown actor 'EU'"):
        Move(**{**good, "actor": "EU"})
    with pytest.raises(ValueError, match="Move.to_sign sign must be one of -1, 0, 1"):
        Move(**{**good, "to_sign": 2})
    with pytest.raises(ValueError, match="unknown configuration 'triangle'"):
        Move(**{**good, "configuration_after": "triangle"})


# --------------------------------------------------------------------------
# scores, signs and the neutral band


@pytest.mark.parametrize("score, band, expected", [
    (0.2, 0.2, 1), (0.19999, 0.2, 0), (-0.2, 0.2, -1), (-0.19999, 0.2, 0),
    (1.0, 0.2, 1), (-1.0, 0.2, -1), (0.0, 0.0, 0), (0.01, 0.0, 1), (-0.5, 0.6, 0),
])
def test_sign_of_band_edges(score, band, expected):
    assert sign_of(score, band) == expected


@given(score_strategy)
def test_sign_of_is_odd(x):
    assert sign_of(-x) == -sign_of(x)


@given(score_strategy, score_strategy, score_strategy,
       st.floats(min_value=0.0, max_value=0.999, allow_nan=False))
def test_triangle_signs_use_sign_of_per_dyad(a, b, c, band):
    t = Triangle(a, b, c)
    assert t.signs(band).as_dict() == {d: sign_of(v, band) for d, v in t.as_dict().items()}


@given(score_strategy, score_strategy, score_strategy)
def test_from_mapping_round_trips_in_either_key_order(a, b, c):
    t = Triangle(a, b, c)
    assert Triangle.from_mapping(t.as_dict()) == t
    reversed_keys = {"-".join(reversed(d.split("-"))): v for d, v in t.as_dict().items()}
    assert Triangle.from_mapping(reversed_keys) == t


def test_relation_either_order():
    t = Triangle(0.5, -0.25, 0.75)
    assert t.relation("US", "CN") == t.relation("CN", "US") == 0.5
    assert t.relation("ru", "cn") == 0.75
    assert Signs(1, -1, 0).relation("RU", "US") == -1
    assert dyad_key("RU", "US") == "US-RU"
    assert normalize_dyad("ru-cn") == "CN-RU"


def test_ints_are_stored_as_floats():
    t = Triangle(1, 0, -1)
    assert t.as_dict() == {"US-CN": 1.0, "US-RU": 0.0, "CN-RU": -1.0}
    assert all(type(v) is float for v in t.as_dict().values())


# --------------------------------------------------------------------------
# error messages


@pytest.mark.parametrize("field, value, fragment", [
    ("us_cn", float("nan"), "US-CN score must be finite"),
    ("us_ru", float("inf"), "US-RU score must be finite"),
    ("cn_ru", -math.inf, "CN-RU score must be finite"),
    ("us_cn", 1.0001, r"US-CN score must be in \[-1, 1\]; got 1.0001"),
    ("cn_ru", -1.5, r"CN-RU score must be in \[-1, 1\]; got -1.5"),
    ("us_ru", "0.5", "US-RU score must be a real number.*'0.5' \\(str\\)"),
    ("us_cn", None, "US-CN score must be a real number.*None"),
    ("us_cn", True, "US-CN score must be a real number.*True"),
])
def test_triangle_rejects_bad_scores(field, value, fragment):
    values = {"us_cn": 0.0, "us_ru": 0.0, "cn_ru": 0.0, field: value}
    with pytest.raises(ValueError, match=fragment):
        Triangle(**values)


@pytest.mark.parametrize("value", [2, -2, 0.5, 1.0, True, "1", None])
def test_signs_reject_bad_values(value):
    with pytest.raises(ValueError, match=r"US-RU sign must be one of -1, 0, 1 \(an int\); got"):
        Signs(1, value, 1)


@pytest.mark.parametrize("mapping, fragment", [
    ({"US-CN": 0.1, "US-RU": 0.2}, "missing dyads CN-RU"),
    ({"US-CN": 0.1, "US-RU": 0.2, "CN-RU": 0.3, "US-EU": 0.0}, "unknown keys 'US-EU'"),
    ({"US-CN": 0.1, "CN-US": 0.2, "US-RU": 0.2, "CN-RU": 0.3}, "given twice.*US-CN"),
    ({"US-CN": 0.1, "US-RU": 0.2, "RU-RU": 0.3}, "unknown keys 'RU-RU'.*missing dyads CN-RU"),
    ({"US-CN": 0.1, "US-RU": 0.2, "CN-RU": 3}, r"CN-RU score must be in \[-1, 1\]; got 3"),
])
def test_from_mapping_errors_name_the_keys(mapping, fragment):
    with pytest.raises(ValueError, match=fragment):
        Triangle.from_mapping(mapping)


def test_signs_from_mapping_errors():
    with pytest.raises(ValueError, match="missing dyads US-CN, US-RU"):
        Signs.from_mapping({"CN-RU": 1})
    with pytest.raises(ValueError, match="needs a mapping"):
        Signs.from_mapping([1, 1, 1])
    assert Signs.from_mapping({"RU-CN": 1, "CN-US": -1, "RU-US": 0}) == Signs(-1, 0, 1)


def test_from_mapping_reads_one_row_of_a_table():
    pd = pytest.importorskip("pandas")
    targets = pd.DataFrame({"US-CN": [-1, 1], "US-RU": [1, -1], "CN-RU": [-1, -1]}, index=["moscow", "beijing"])
    rows = dict(targets.iterrows())  # what `for option, row in targets.iterrows()` visits
    assert Signs.from_mapping(rows["moscow"]) == Signs(-1, 1, -1)
    assert Signs.from_mapping(rows["beijing"]) == Signs.from_mapping(rows["beijing"].to_dict()) == Signs(1, -1, -1)
    assert Triangle.from_mapping(pd.Series({"US-CN": 0.5, "US-RU": -0.2, "CN-RU": 0.9})) == Triangle(0.5, -0.2, 0.9)
    with pytest.raises(ValueError, match="missing dyads CN-RU"):
        Signs.from_mapping(targets.loc["moscow", ["US-CN", "US-RU"]])
    with pytest.raises(ValueError, match="needs a mapping"):  # a whole table is not one row
        Signs.from_mapping(targets)


@pytest.mark.parametrize("a, b, fragment", [
    ("US", "EU", "unknown actor 'EU'; allowed: US, CN, RU"),
    ("US", "US", "two different actors"),
    (3, "CN", "unknown actor 3"),
])
def test_relation_errors(a, b, fragment):
    with pytest.raises(ValueError, match=fragment):
        Triangle(0, 0, 0).relation(a, b)


def test_unknown_dyad_error():
    with pytest.raises(ValueError, match="unknown dyad 'US/CN'; allowed: US-CN, US-RU, CN-RU"):
        normalize_dyad("US/CN")


@pytest.mark.parametrize("band", [-0.1, 1.0, 1.5, float("nan"), float("inf"), "0.2", None, True])
def test_bad_band_is_rejected_everywhere(band):
    pattern = r"band must be a number in \[0, 1\); got"
    with pytest.raises(ValueError, match=pattern):
        sign_of(0.5, band)
    with pytest.raises(ValueError, match=pattern):
        Triangle(0.5, 0.5, 0.5).signs(band)
    with pytest.raises(ValueError, match=pattern):
        analyse(Triangle(0.5, 0.5, 0.5), band)


def test_sign_of_rejects_bad_scores():
    with pytest.raises(ValueError, match="score must be finite"):
        sign_of(float("nan"))
    with pytest.raises(ValueError, match=r"score must be in \[-1, 1\]"):
        sign_of(2.0)


def test_functions_reject_non_signs():
    with pytest.raises(ValueError, match="expected a Signs value; got Triangle"):
        classify(Triangle(0, 0, 0))
    with pytest.raises(ValueError, match="analyse needs a Triangle or Signs; got dict"):
        analyse({"US-CN": 1})
    with pytest.raises(ValueError, match="summary needs an Analysis"):
        summary(Signs(1, 1, 1))
    with pytest.raises(ValueError, match="unknown actor 'XX'"):
        improving_moves(Signs(1, 1, 1), "XX")


# --------------------------------------------------------------------------
# analyse and summary


def test_analyse_triangle_uses_the_band():
    t = Triangle(0.5, 0.5, 0.3)
    assert analyse(t).configuration is Configuration.MENAGE_A_TROIS
    wide = analyse(t, band=0.4)
    assert wide.configuration is Configuration.UNDETERMINED
    assert wide.band == 0.4 and wide.triangle is t and wide.signs == Signs(1, 1, 0)


def test_analyse_signs_has_no_triangle():
    a = analyse(Signs(-1, -1, 1))
    assert a == Analysis(None, Signs(-1, -1, 1), Configuration.STABLE_MARRIAGE,
                         {"US": O, "CN": PA, "RU": PA}, True)


def test_summary_of_a_stable_marriage():
    text = summary(analyse(Triangle(-0.6, -0.5, 0.7)))
    assert "\n" not in text
    assert "US-CN enmity (-0.60)" in text and "CN-RU amity (+0.70)" in text
    assert "stable marriage" in text
    assert "China and Russia are partners and the United States is the outcast" in text
    assert "partner 3rd and outcast 6th" in text
    assert "structurally balanced" in text
    assert summary(analyse(Triangle(-0.6, -0.5, 0.7))) == text  # deterministic


def test_summary_of_a_romantic_triangle_names_the_pivot():
    text = summary(analyse(Signs(-1, 1, 1)))
    assert "Russia is the pivot" in text and "structurally unbalanced" in text
    assert "(" not in text.split(".")[0]  # no scores when only signs are given


def test_summary_of_undetermined_names_the_neutral_dyad():
    text = summary(analyse(Triangle(0.5, 0.1, -0.7)))
    assert "undetermined because US-RU is neutral" in text
    assert "no actor has a role" in text and "pivot" not in text


@given(signs_strategy)
def test_summary_mentions_the_configuration_and_every_dyad(s):
    text = summary(analyse(s))
    assert all(d in text for d in DYADS)
    config = classify(s)
    assert ("undetermined" if config is Configuration.UNDETERMINED else config.value) in text
