"""Staff assessment (绩效): the month's sheet computed from duty outcomes, reviewed and signed."""
