from decimal import Decimal

from django import template

from verbund.cooperation import rules

register = template.Library()


@register.filter
def euro(value: Decimal | None) -> str:
    """An amount in German notation: 1.234,50 €."""
    return "–" if value is None else rules.money(Decimal(value))
