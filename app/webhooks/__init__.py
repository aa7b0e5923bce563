"""Signed webhooks: subscriptions, an outbox written with each change, and the delivery worker."""
