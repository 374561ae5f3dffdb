"""Online approvals: models."""
