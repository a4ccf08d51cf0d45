"""The append-only timeline: who did what to which thing, and when."""
