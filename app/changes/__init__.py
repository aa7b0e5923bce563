"""The change feed: every event of the outbox, in the order its transaction committed."""
