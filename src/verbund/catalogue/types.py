"""The types of the service catalogue that other domains name (decision 0023)."""

from verbund.catalogue.models import Level, Service, Wirkungskreis

__all__ = ["Level", "Service", "Wirkungskreis"]
