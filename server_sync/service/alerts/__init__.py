"""Critical-value alert lifecycle on the service: raised → notified → acknowledged → closed, escalation."""
