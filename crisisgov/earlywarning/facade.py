"""What other apps may use of the early warning app."""
