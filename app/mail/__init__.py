"""Mail: the outbox's second channel, sent over SMTP."""
