"""What other apps may use of the citizen services."""
