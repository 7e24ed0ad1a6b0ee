"""Follow-up Nurse Station (随访护士站): domain, local store and application services."""

__version__ = "0.1.0"
