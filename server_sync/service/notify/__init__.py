"""Notifications: a transactional outbox, channels (SMS webhook, e-mail, chat robot) and their worker."""
