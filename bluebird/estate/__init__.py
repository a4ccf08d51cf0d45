"""Estates, buildings, units, residents and patches."""
