"""The low-code scale designer (量表设计器) for administrators.

Build a scale by dragging item types from the palette into the item tree,
edit properties, scores and critical rules, watch the nurse's form render
live, fix what the problems list shows, then publish. Public API:

* :class:`DesignerWindow` — the window; ``DesignerWindow(definition)``;
* :func:`run_designer` — ``nurse-station designer [FILE.json]``;
* :func:`publish_to_service` — the one hand-off of a published scale.
"""

from __future__ import annotations

from ui.designer.app import run_designer
from ui.designer.publishing import publish_to_service
from ui.designer.window import DesignerWindow

__all__ = ["DesignerWindow", "publish_to_service", "run_designer"]
