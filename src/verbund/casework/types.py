"""The types of the back office that other domains name (decision 0023)."""

from verbund.casework.models import Case

__all__ = ["Case"]
