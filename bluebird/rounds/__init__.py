"""Rounds: one checklist engine for patrols, lobby checks, vacant units, move-in and
re-inspections, renovation checks and the 100-point quality inspection."""
