"""Everything due: Duty rows, the clock rules that make them, and the agenda."""
