from django import template
from django.utils.translation import gettext

from verbund.costs import rules

register = template.Library()


@register.filter
def cents(value: int) -> str:
    """Cents as German euro notation."""
    return rules.format_euro(int(value))


@register.filter
def component_label(value: str) -> str:
    return gettext(rules.COMPONENTS.get(value, value))


@register.filter
def key_label(value: str) -> str:
    return gettext(rules.KEYS.get(value, value))
