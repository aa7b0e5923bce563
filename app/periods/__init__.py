"""Periods: quarters' locks and timetables, the rule that no write may change a closed quarter,
and the one publication record (versions, their files' bytes and digests, restatements)."""
