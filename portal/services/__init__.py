"""Services: every write, with the check of who is asking, one transaction, and the audit event."""
