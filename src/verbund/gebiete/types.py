"""The types of the territorial directory that other domains name (decision 0023)."""

from verbund.gebiete.models import Gebiet, GebietType, Level, Postleitzahl

__all__ = ["Gebiet", "GebietType", "Level", "Postleitzahl"]
