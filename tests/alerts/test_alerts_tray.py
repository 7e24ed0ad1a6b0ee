"""The system-tray notifier: new alerts / newly due tasks after a sync, quiet during a call (offscreen)."""

from __future__ import annotations

from typing import Any

from ui.desk.tray import AlertTray, Snapshot, TrayNotifier
from ui.i18n import set_language


class FakeNotifier:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def show(self, title: str, text: str, critical: bool = False) -> None:
        self.calls.append((title, text, critical))


def test_tray_announces_new_alerts_and_due_tasks_in_chinese(qtbot) -> None:
    set_language("zh_CN")
    notifier = FakeNotifier()
    calling = {"now": False}
    tray = AlertTray(notifier, in_call=lambda: calling["now"])
    tray.update(Snapshot({"a1": "收缩压185 mmHg（≥180），请立即联系医生"}, frozenset({"t1"})))
    assert notifier.calls == []  # the first look after login is the baseline
    tray.update(Snapshot({"a1": "旧", "a2": "体温39.5℃（≥39℃），请联系医生"}, frozenset({"t1", "t2", "t3"})))
    assert notifier.calls == [
        ("新的危急值告警", "体温39.5℃（≥39℃），请联系医生", True),
        ("随访任务到期", "新到期随访任务2项", False),
    ]
    notifier.calls.clear()
    calling["now"] = True
    tray.update(Snapshot({"a1": "旧", "a2": "旧", "a3": "心率130次/分"}, frozenset({"t1", "t2", "t3"})))
    assert notifier.calls == []  # quiet while a call is in progress
    calling["now"] = False
    tray.update(Snapshot({"a1": "旧", "a2": "旧", "a3": "心率130次/分"}, frozenset({"t1", "t2", "t3"})))
    assert notifier.calls == [("新的危急值告警", "心率130次/分", True)]  # held back, then announced


def test_tray_can_be_switched_off_and_the_wrapper_is_safe_offscreen(qtbot) -> None:
    notifier = FakeNotifier()
    tray = AlertTray(notifier, enabled=lambda: False)
    tray.update(Snapshot({}, frozenset()))
    tray.update(Snapshot({"a1": "x"}, frozenset({"t1"})))
    assert notifier.calls == []
    TrayNotifier().show("标题", "内容")  # no tray on the offscreen platform: a no-op, never a crash
