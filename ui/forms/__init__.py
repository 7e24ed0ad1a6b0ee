"""Structured scales (量表) on screen: the form renderer and the per-task scale panel.

* :class:`ScaleFormView` renders any :class:`~nurse_app.domain.forms.FormDefinition`
  and re-evaluates it live (visibility, inline problems, scores, critical values);
  the scale designer reuses it for its preview.
* :class:`ScalePanel` is the desk's panel for one task: one tab per scale,
  drafts autosaved and offered back, submission off the GUI thread.
"""

from __future__ import annotations

from ui.forms.form_view import ScaleFormView
from ui.forms.scale_panel import ScalePanel

__all__ = ["ScaleFormView", "ScalePanel"]
