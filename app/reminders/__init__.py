"""Reminders: each person's digest of what they still owe before the return deadline."""
