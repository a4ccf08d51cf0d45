"""Renovation permits (装修), worker passes; their checks are rounds."""
