"""Periods: quarter locks, and the rule that no write may change a closed quarter."""
