"""The ward manager's quality dashboard (质量看板): figures from ``nurse_app.reports``, QPainter charts."""
