"""The nurse's desk as application services: what the UI and the CLI call, with no Qt and no HTTP.

Each operation is one cache transaction that writes the change, its audit
event and its outbox rows together (DESIGN "Sync").
"""
