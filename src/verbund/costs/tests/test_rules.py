"""The allocation maths alone: largest remainder rounding and the four keys, with
properties checked by hypothesis over random populations, usage and costs."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verbund.costs import rules

LAND = "160000000000"
ars = st.integers(min_value=160510000000, max_value=160779999999).map(str)
parties = st.dictionaries(
    st.tuples(ars, st.sampled_from(["a", "b"])).map(" ".join),
    st.integers(0, 2_000_000),
    max_size=30,
)
cost = st.integers(0, 10_000_000_000)  # up to 100 million euro, in cents
key = st.sampled_from(list(rules.KEYS))


@settings(max_examples=300, deadline=None)
@given(cost=cost, population=parties, usage=parties, key=key, base_fee=st.integers(0, 1_000_000))
def test_allocations_sum_exactly_and_are_never_negative(cost, population, usage, key, base_fee):
    shares = rules.allocate(
        key=key, cost=cost, land=LAND, population=population, usage=usage, base_fee=base_fee
    )
    assert sum(shares.values()) == cost
    assert all(share >= 0 for share in shares.values())
    assert set(shares) == set(population) | set(usage) | {LAND}


@settings(max_examples=200, deadline=None)
@given(cost=cost, population=parties, usage=parties)
def test_land_pays_all_gives_everything_to_the_land(cost, population, usage):
    shares = rules.allocate(
        key=rules.LAND_PAYS_ALL, cost=cost, land=LAND, population=population, usage=usage
    )
    assert shares[LAND] == cost
    assert all(share == 0 for party, share in shares.items() if party != LAND)


@settings(max_examples=300, deadline=None)
@given(
    cost=cost,
    weights=parties,
    key=st.sampled_from([rules.POPULATION, rules.USAGE, rules.BASE_PLUS_USAGE]),
    base_fee=st.integers(0, 100_000),
)
def test_a_larger_weight_never_pays_less(cost, weights, key, base_fee):
    """Monotone in the key: who has more inhabitants (or used more) bears at least as much.
    (When the base fees take the whole cost, usage does not count and the tie rule decides.)"""
    if key == rules.BASE_PLUS_USAGE and cost <= base_fee * len(weights):
        return
    shares = rules.allocate(
        key=key, cost=cost, land=LAND, population=weights, usage=weights, base_fee=base_fee
    )
    for a, wa in weights.items():
        for b, wb in weights.items():
            if wa > wb:
                assert shares[a] >= shares[b], (a, b)


@settings(max_examples=200, deadline=None)
@given(cost=cost, weights=parties, extra=st.integers(1, 1_000_000))
def test_using_more_never_lowers_ones_own_share(cost, weights, extra):
    """Monotone in one's own usage: raising it (others unchanged) never lowers one's share."""
    if not weights:
        return
    party = sorted(weights)[0]
    before = rules.allocate(key=rules.USAGE, cost=cost, land=LAND, population={}, usage=weights)
    more = {**weights, party: weights[party] + extra}
    after = rules.allocate(key=rules.USAGE, cost=cost, land=LAND, population={}, usage=more)
    assert after[party] >= before[party]


@settings(max_examples=200, deadline=None)
@given(
    total=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=20)
)
def test_apportion_stays_within_one_cent_of_the_exact_quota(total, weights):
    if sum(weights) == 0:
        return
    quotas = {f"{i:03d}": Fraction(total * w, sum(weights)) for i, w in enumerate(weights)}
    shares = rules.apportion(total, quotas)
    assert sum(shares.values()) == total
    for party, quota in quotas.items():
        assert quota - 1 < shares[party] < quota + 1


def test_remaining_cents_go_to_the_largest_remainders_ties_by_ars():
    # given 100 cents over three equal quotas of 33 1/3: one cent is left over
    quotas = {p: Fraction(100, 3) for p in ("160770001001 c", "160510000000 a", "160530000000 b")}
    # then it goes to the smallest ARS, whatever the input order
    assert rules.apportion(100, quotas) == {
        "160510000000 a": 34,
        "160530000000 b": 33,
        "160770001001 c": 33,
    }
    # and with unequal remainders to the largest: 0.9 beats 0.6 and 0.5
    quotas = {"1": Fraction(109, 10), "2": Fraction(56, 10), "3": Fraction(35, 10)}
    assert rules.apportion(20, quotas) == {"1": 11, "2": 6, "3": 3}


def test_base_fee_plus_usage():
    # given two authorities, a base fee of 10 € each, 100 € in the month, usage 3:1
    shares = rules.allocate(
        key=rules.BASE_PLUS_USAGE,
        cost=10000,
        land=LAND,
        population={},
        usage={"160510000000 a": 3, "160550000000 b": 1},
        base_fee=1000,
    )
    # then each pays 10 € and the remaining 80 € split 60:20
    assert shares == {"160510000000 a": 7000, "160550000000 b": 3000, LAND: 0}


def test_without_usage_the_land_bears_the_cost():
    shares = rules.allocate(
        key=rules.USAGE, cost=999, land=LAND, population={}, usage={"160510000000 a": 0}
    )
    assert shares[LAND] == 999


@given(year=st.integers(0, 10**10))
def test_the_twelve_months_sum_to_the_year(year):
    months = [rules.monthly_cost(year, m) for m in range(1, 13)]
    assert sum(months) == year
    assert max(months) - min(months) <= 1


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        rules.apportion(10, {"a": Fraction(5)})
    with pytest.raises(ValueError):
        rules.parse_month("2026-13")
    assert rules.parse_month("2026-11").isoformat() == "2026-11-01"
    assert rules.cost_errors(amount=None, key="x", base_fee=None).keys() == {"betrag", "schluessel"}
    assert rules.format_euro(123456789) == "1.234.567,89\u00a0€"
