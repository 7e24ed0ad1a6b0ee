"""Ward managers' rates and monthly ward reports on the central service (same domain code as the desk)."""
