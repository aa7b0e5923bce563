"""People who sign in through the identity provider, their access and their web sessions."""
