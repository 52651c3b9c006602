from decimal import Decimal

from verbund.cooperation import rules


def test_membership_follows_the_table():
    assert rules.can_change_membership(rules.NOT_INVITED, rules.INVITED)
    assert rules.can_change_membership(rules.INVITED, rules.MEMBER)
    assert not rules.can_change_membership(rules.NOT_INVITED, rules.MEMBER)
    assert not rules.can_change_membership(rules.MEMBER, rules.INVITED)
    assert rules.can_change_membership(rules.LEFT, rules.INVITED)


def test_offered_only_for_active_members():
    assert rules.offered_online(membership_state=rules.MEMBER, activation_status=rules.ACTIVE)
    assert not rules.offered_online(membership_state=rules.MEMBER, activation_status=rules.PAUSED)
    assert not rules.offered_online(membership_state=rules.LEFT, activation_status=rules.ACTIVE)
    assert not rules.offered_online(
        membership_state=rules.INVITED, activation_status=rules.NOT_OFFERED
    )


def test_terms_fee_only_where_the_kommune_sets_it():
    ok = {"contact": "Bürgerbüro", "processing_days": 14}
    assert rules.activation_terms_errors(fee=Decimal("12.50"), fee_set_locally=True, **ok) == {}
    assert "fee" in rules.activation_terms_errors(fee=None, fee_set_locally=True, **ok)
    assert "fee" in rules.activation_terms_errors(fee=Decimal("1"), fee_set_locally=False, **ok)
    assert "fee" in rules.activation_terms_errors(fee=Decimal("-1"), fee_set_locally=True, **ok)
    assert "fee" in rules.activation_terms_errors(fee=Decimal("1.234"), fee_set_locally=True, **ok)
    bad = rules.activation_terms_errors(
        fee=None, fee_set_locally=False, contact=" ", processing_days=0
    )
    assert set(bad) == {"contact", "processing_days"}


def test_amounts_are_read_as_people_type_them():
    from verbund.cooperation.views.common import _fee

    assert _fee("1.234,50 €") == Decimal("1234.50")
    assert _fee("12,5") == Decimal("12.5")
    assert _fee("12.50") == Decimal("12.50")
    assert _fee("24.000") == Decimal("24000")
    assert _fee("") is None
    assert _fee("zwölf") == Decimal("-1")  # refused by the rules with their message


def test_decision_times_median_and_maximum():
    assert rules.decision_times([]) == (None, None)
    assert rules.decision_times([30, 2, 10]) == (10.0, 30)
    assert rules.decision_times([1, 2, 3, 100]) == (2.5, 100)
