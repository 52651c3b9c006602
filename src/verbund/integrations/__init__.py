"""Clients for external systems, one package per system (clamd, payment, …)."""
