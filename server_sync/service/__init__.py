"""The central follow-up service: FastAPI + SQLAlchemy 2 + Alembic, one package per domain.

``server_sync.service.app.create_app`` builds the ASGI app; ``followup-server``
(``server_sync.service.cli``) runs, migrates, backs up and seeds it.
"""
