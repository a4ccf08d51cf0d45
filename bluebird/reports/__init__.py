"""Reports (报表): the weekly, monthly, half-yearly and yearly tables an office files.

tables.py counts cases and duties for a period; house.py builds the house dynamics table
from the unit-status timeline; service.py files a table (a frozen snapshot) and lets the
project manager confirm it; duties.py makes the report duties on the estate's calendar;
digest.py sends the supervisors' 08:30 morning digest.
"""
