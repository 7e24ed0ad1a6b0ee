"""The ward manager's quality dashboard (质量看板): period, scope, headline cards, trends, breakdowns.

Every read runs on the "db" worker (``BusyTracker.run``); widgets are filled in
the callbacks. Sized for 1366×768: ten cards in two rows, charts below.
Every text is set in ``retranslate`` (and ``_render`` for the figures), which
the language switch calls again: the window follows zh_CN ↔ en at run time
without reloading its data. Every number drills down to the rows behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import shiboken6
from PySide6.QtCore import QDate, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nurse_app.commands.stats import local_day_period
from nurse_app.desk.context import DeskContext
from nurse_app.domain.metrics import Period
from nurse_app.domain.model import Role
from nurse_app.reports.data import GroupLine
from nurse_app.reports.headline import FIGURE_KEYS, Figure, Headline, Targets
from nurse_app.reports.labels import Labels, fmt_local, fmt_rate, fmt_seconds
from nurse_app.reports.scope import WardInfo, month_period
from ui.dashboard.behind import DRILL_KEYS, GROUPS, DrillResult, GroupFilter
from ui.dashboard.breakdown import BreakdownPage, GroupRow
from ui.dashboard.cards import FigureCard
from ui.dashboard.charts import BAD, GOOD, LINE, WARN, Bar, LineChart, Series
from ui.dashboard.drill import DrillDialog
from ui.dashboard.export import ProgressRelay, available_formats, export_report
from ui.dashboard.loading import DashboardData, load_dashboard, load_drill, recent_months, visible_wards
from ui.dashboard.texts import figure_name, report_labels
from ui.desk.busy import BusyTracker, while_alive
from ui.i18n import _, current_language, language_notifier
from ui.operations import Operation

CUSTOM = "custom"

__all__ = ["DashboardWindow", "has_rows", "report_labels"]


def has_rows(figure: Figure) -> bool:
    """Whether clicking the figure can list anything: an empty population has no rows to show."""
    if figure.denominator is not None:  # a rate: its population (tasks, discharges, answers)
        return figure.denominator > 0
    return bool(figure.value)  # durations (None without calls) and counts (0 lists nothing)


def _rate_cell(rate) -> str:  # type: ignore[no-untyped-def]
    return fmt_rate(rate.value) + (f" ({rate.numerator}/{rate.denominator})" if rate.denominator else "")


class DashboardWindow(QWidget):
    """One per main window; ``sig_open_task(task_id)`` asks the desk to open a patient (audited there)."""

    sig_open_task = Signal(str)
    sig_loaded = Signal()
    sig_exported = Signal(object)  # Path

    def __init__(self, ctx: DeskContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.busy = BusyTracker(self)
        self.targets = Targets()
        self.data: DashboardData | None = None
        self.wards: tuple[WardInfo, ...] = ()
        self.drill_dialog: DrillDialog | None = None
        self._drill_pending: tuple[str, GroupFilter | None] | None = None
        self.exported: Path | None = None
        self.whole_action: QAction | None = None
        self.ward_actions: dict[str, QAction] = {}
        self._message: Callable[[], str] | None = None  # re-read on a language switch
        self.resize(1340, 700)
        self._build()
        language_notifier().sig_language_changed.connect(while_alive(self, lambda _lang: self.retranslate()))
        self.retranslate()
        self.busy.run(lambda: visible_wards(ctx), self._wards_loaded, self._failed, owner=self)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(8, 6, 8, 6)
        root.setSpacing(6)
        bar = QHBoxLayout()
        self.period_label = QLabel()
        bar.addWidget(self.period_label)
        self.period_combo = QComboBox()
        today = self.ctx.now().astimezone(ZoneInfo(self.ctx.zone)).date()
        for month in recent_months(today):
            self.period_combo.addItem(month, month)
        self.period_combo.addItem("", CUSTOM)
        self.period_combo.setCurrentIndex(1 if today.day < 8 else 0)  # early in a month: last full month
        bar.addWidget(self.period_combo)
        self.from_date = QDateEdit(QDate(today.year, today.month, 1))
        self.to_date = QDateEdit(QDate(today.year, today.month, today.day))
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setVisible(False)
        self.to_label = QLabel("–")
        self.to_label.setVisible(False)
        bar.addWidget(self.from_date)
        bar.addWidget(self.to_label)
        bar.addWidget(self.to_date)
        bar.addSpacing(12)
        self.wards_label = QLabel()
        bar.addWidget(self.wards_label)
        self.scope_button = QToolButton()
        self.scope_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.scope_menu = QMenu(self.scope_button)
        self.scope_button.setMenu(self.scope_menu)
        self.scope_button.setMinimumWidth(240)
        bar.addWidget(self.scope_button)
        self.refresh_button = QPushButton()
        bar.addWidget(self.refresh_button)
        bar.addStretch(1)
        self.as_of_label = QLabel()
        self.as_of_label.setObjectName("dataAsOf")
        bar.addWidget(self.as_of_label)
        bar.addSpacing(12)
        self.export_button = QToolButton()
        self.export_button.setMinimumWidth(110)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        export_menu = QMenu(self.export_button)
        self.export_actions: dict[str, QAction] = {}
        formats = available_formats()
        for fmt in ("pdf", "csv", "xlsx"):
            action = export_menu.addAction("")
            action.setEnabled(fmt in formats)
            action.triggered.connect(lambda _checked=False, fmt=fmt: self.choose_export(fmt))
            self.export_actions[fmt] = action
        self.export_button.setMenu(export_menu)
        bar.addWidget(self.export_button)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(140)
        self.progress.setVisible(False)
        bar.addWidget(self.progress)
        root.addLayout(bar)

        self.message = QLabel()
        self.message.setObjectName("dashboardMessage")
        self.message.setStyleSheet("color: #b71c1c;")
        self.message.setVisible(False)
        root.addWidget(self.message)

        grid = QGridLayout()
        grid.setSpacing(6)
        self.cards: dict[str, FigureCard] = {}
        for index, key in enumerate(FIGURE_KEYS):
            card = FigureCard(key)
            card.sig_clicked.connect(lambda key: self.drill(key))
            grid.addWidget(card, index // 5, index % 5)
            self.cards[key] = card
        root.addLayout(grid)

        self.tabs = QTabWidget()
        trend = QWidget()
        trend_layout = QHBoxLayout(trend)
        trend_layout.setContentsMargins(4, 4, 4, 4)
        self.weekly_miss = LineChart()
        self.weekly_rates = LineChart()
        self.monthly_chart = LineChart()
        for chart in (self.weekly_miss, self.weekly_rates, self.monthly_chart):
            trend_layout.addWidget(chart)
        self.tabs.addTab(trend, "")
        self.breakdowns: dict[str, BreakdownPage] = {}
        for name in GROUPS:
            page = BreakdownPage(name)
            page.sig_cell_clicked.connect(
                lambda key, group, name=name: self.drill(key, GroupFilter(name, group))
            )
            self.tabs.addTab(page, "")
            self.breakdowns[name] = page
        root.addWidget(self.tabs, 1)

        self.period_combo.currentIndexChanged.connect(self._period_changed)
        self.from_date.dateChanged.connect(lambda _d: self.reload())
        self.to_date.dateChanged.connect(lambda _d: self.reload())
        self.refresh_button.clicked.connect(self.reload)

    # ------------------------------------------------------------------ texts

    def retranslate(self) -> None:
        """Every text in the current language; figures are re-rendered from the data already loaded."""
        self.setWindowTitle(_("Quality dashboard"))
        self.period_label.setText(_("Period"))
        self.period_combo.setItemText(self.period_combo.findData(CUSTOM), _("Custom…"))
        self.wards_label.setText(_("Wards"))
        self.refresh_button.setText(_("Refresh"))
        self.export_button.setText(_("Export report"))
        names = {"pdf": _("PDF report…"), "csv": _("CSV tables…"), "xlsx": _("Excel workbook…")}
        for fmt, action in self.export_actions.items():
            action.setText(names[fmt])
        titles = (_("Trend"), _("By ward"), _("By nurse"), _("By plan"), _("By diagnosis group"))
        for index, title in enumerate(titles):
            self.tabs.setTabText(index, title)
        if self.whole_action is not None:
            self.whole_action.setText(_("Whole hospital"))
        self.scope_button.setText(self._scope_text())
        self._show_message(self._message)
        if self.data is not None:
            self._render(self.data)
        # The drill-down dialog follows the switch itself (it listens to the notifier too).

    def _show_message(self, text: Callable[[], str] | None) -> None:
        """Show ``text()`` (read again on a language switch); None hides the message."""
        self._message = text
        shown = text() if text is not None else ""
        self.message.setText(shown)
        self.message.setVisible(bool(shown))

    # ------------------------------------------------------------------ scope and period

    def _wards_loaded(self, wards: tuple[WardInfo, ...]) -> None:
        self.wards = wards
        self.scope_menu.clear()
        self.ward_actions = {}
        self.whole_action = None
        if self.ctx.user.role is Role.ADMIN:
            whole = self.scope_menu.addAction(_("Whole hospital"))
            whole.triggered.connect(lambda: self.set_scope([w.code for w in self.wards]))
            self.whole_action = whole
            self.scope_menu.addSeparator()
        for info in wards:
            action = self.scope_menu.addAction(f"{info.name} ({info.code})")
            action.setCheckable(True)
            action.setData(info.code)
            action.toggled.connect(self._scope_toggled)
            self.ward_actions[info.code] = action
        own = [w.code for w in wards if w.code in self.ctx.user.wards] or [w.code for w in wards]
        self.set_scope(own)

    def set_scope(self, codes: Sequence[str]) -> None:
        self._setting_scope = True
        for code, action in self.ward_actions.items():
            action.setChecked(code in codes)
        self._setting_scope = False
        self._scope_toggled()

    def _scope_toggled(self, _checked: bool = False) -> None:
        if getattr(self, "_setting_scope", False):
            return
        self.scope_button.setText(self._scope_text())
        self.reload()

    def _scope_text(self) -> str:
        codes = self.scope()
        names = {w.code: w.name for w in self.wards}
        if self.ctx.user.role is Role.ADMIN and len(codes) == len(self.wards) and len(codes) > 1:
            return _("Whole hospital")
        if len(codes) <= 2:
            return _(", ").join(names.get(c, c) for c in codes) or _("No ward")
        return _("{count} wards").format(count=len(codes))

    def scope(self) -> tuple[str, ...]:
        return tuple(code for code, action in self.ward_actions.items() if action.isChecked())

    def _period_changed(self) -> None:
        custom = self.period_combo.currentData() == CUSTOM
        for widget in (self.from_date, self.to_date, self.to_label):
            widget.setVisible(custom)
        self.reload()

    def period(self) -> tuple[Period, str]:
        """The chosen period as UTC bounds of whole local days, and its label ('YYYY-MM' for a month)."""
        choice = self.period_combo.currentData()
        if choice != CUSTOM:
            return month_period(choice, self.ctx.zone), choice
        first = self.from_date.date().toPython()
        last = self.to_date.date().toPython()
        if last < first:
            first, last = last, first
        assert isinstance(first, date) and isinstance(last, date)
        return local_day_period(first, last + timedelta(days=1), self.ctx.zone), ""

    # ------------------------------------------------------------------ loading

    def reload(self) -> None:
        codes = self.scope()
        if not codes:
            self._show_message(lambda: _("Choose at least one ward."))
            return
        period, label = self.period()
        ctx = self.ctx
        self.refresh_button.setEnabled(False)
        self.busy.run(
            lambda: load_dashboard(ctx, codes, period, label=label), self._loaded, self._failed, owner=self
        )

    def _failed(self, error: Exception) -> None:
        self.refresh_button.setEnabled(True)
        self._show_message(lambda: _("Cannot show the dashboard: {error}").format(error=error))

    def _loaded(self, data: DashboardData) -> None:
        self.data = data
        self.refresh_button.setEnabled(True)
        self._show_message(None if data.figures.has_data else lambda: report_labels()["no_data"])
        self._render(data)
        self.sig_loaded.emit()

    def _render(self, data: DashboardData) -> None:
        """Cards, stamp, charts and tables from ``data`` in the current language."""
        labels = report_labels()
        for figure in data.figures.headline.figures:
            self.cards[figure.key].set_figure(figure, labels, figure.key in DRILL_KEYS and has_rows(figure))
        if data.last_sync is None:
            stamp = _("Data as of: local data (never synced)")
        else:
            stamp = _("Data as of: {time}").format(time=fmt_local(data.last_sync, self.ctx.zone))
        self.as_of_label.setText(stamp)
        self._fill_trends(data, labels)
        self._fill_breakdowns(data, labels)

    def _fill_trends(self, data: DashboardData, labels: Labels) -> None:
        zone = ZoneInfo(self.ctx.zone)
        weeks = [w.period.start.astimezone(zone).strftime("%m-%d") for w in data.figures.weekly]
        weekly = data.figures.weekly
        self.weekly_miss.set_data(
            _("Miss rate by week"),
            weeks,
            [Series(labels["miss"], tuple(w.miss.value for w in weekly), BAD)],
            self.targets.miss_max,
            _("target"),
        )
        self.weekly_rates.set_data(
            _("Rates by week"),
            weeks,
            [
                Series(labels["on_time"], tuple(w.on_time.value for w in weekly), LINE),
                Series(labels["reach"], tuple(w.reach.value for w in weekly), GOOD),
                Series(labels["satisfaction"], tuple(w.satisfaction.value for w in weekly), WARN),
            ],
        )
        months = [p.label[2:] for p in data.monthly]
        self.monthly_chart.set_data(
            _("By month"),
            months,
            [
                Series(labels["miss"], tuple(p.headline.miss.value for p in data.monthly), BAD),
                Series(labels["on_time"], tuple(p.headline.on_time.value for p in data.monthly), LINE),
                Series(labels["reach"], tuple(p.headline.reach.value for p in data.monthly), GOOD),
            ],
        )

    def _fill_breakdowns(self, data: DashboardData, labels: Labels) -> None:
        headers = [
            figure_name(labels, "miss"),
            figure_name(labels, "on_time"),
            figure_name(labels, "reach"),
            figure_name(labels, "satisfaction"),
            labels["duration_median"],
            figure_name(labels, "completed"),
        ]
        names = {w.code: w.name for w in data.figures.wards}
        ward_rows = [(names.get(code, code), code, h) for code, h in sorted(data.by_ward.items())]
        self.breakdowns["ward"].fill(
            labels["ward"],
            _("Miss rate by ward"),
            headers,
            [GroupRow(n, code, _headline_cells(h)) for n, code, h in ward_rows],
            [Bar(n, h.miss.value, _rate_cell(h.current.miss)) for n, _code, h in ward_rows],
            self.targets.miss_max,
        )
        chart_titles = {
            "nurse": _("Miss rate by nurse"),
            "plan": _("Miss rate by plan"),
            "diagnosis": _("Miss rate by diagnosis group"),
        }
        for name, lines in self._group_lines(data).items():
            shown = [(self._line_label(name, line.label), line) for line in lines]
            self.breakdowns[name].fill(
                labels[name],
                chart_titles[name],
                headers,
                [GroupRow(n, line.key, _line_cells(line)) for n, line in shown],
                [Bar(n, line.rates.miss.value, _rate_cell(line.rates.miss)) for n, line in shown],
                self.targets.miss_max,
            )

    @staticmethod
    def _group_lines(data: DashboardData) -> dict[str, tuple[GroupLine, ...]]:
        figures = data.figures
        return {"nurse": figures.by_nurse, "plan": figures.by_plan, "diagnosis": figures.by_diagnosis}

    @staticmethod
    def _line_label(name: str, label: str) -> str:
        """The shown name of a group; the group without a name is "unassigned" or "no diagnosis"."""
        return label or report_labels()["no_diagnosis" if name == "diagnosis" else "unassigned"]

    # ------------------------------------------------------------------ drill-down

    def drill(self, key: str, group: GroupFilter | None = None) -> None:
        """List the rows behind figure ``key`` of the shown scope (or of one breakdown group)."""
        if self.data is None or key not in DRILL_KEYS:
            return
        request = (key, group)
        if self._drill_pending == request:
            return  # the same click twice (click + activation): one list is enough
        dialog = self.drill_dialog
        if (
            dialog is not None
            and shiboken6.isValid(dialog)
            and dialog.isVisible()
            and (dialog.key, dialog.result.group) == request
        ):
            dialog.raise_()
            dialog.activateWindow()
            return
        figures = self.data.figures
        codes, period, as_of = figures.ward_codes, figures.period, figures.as_of
        ctx = self.ctx
        self._drill_pending = request

        def failed(error: Exception) -> None:
            self._drill_pending = None
            self._failed(error)

        self.busy.run(
            lambda: load_drill(ctx, codes, period, key, as_of=as_of, group=group),
            self._show_drill,
            failed,
            owner=self,
        )

    def _group_label(self, group: GroupFilter | None) -> str:
        if group is None or self.data is None:
            return ""
        if group.by == "ward":
            names = {w.code: w.name for w in self.data.figures.wards}
            return names.get(group.key, group.key)
        lines = self._group_lines(self.data)[group.by]
        return self._line_label(
            group.by, next((line.label for line in lines if line.key == group.key), group.key)
        )

    def _show_drill(self, result: DrillResult) -> None:
        self._drill_pending = None
        old = self.drill_dialog
        if old is not None and shiboken6.isValid(old):
            old.close()
            old.deleteLater()  # one list at a time: the previous one is not kept hidden
        dialog = DrillDialog(result, self.ctx.zone, self._group_label(result.group), self)
        dialog.sig_open_task.connect(self.sig_open_task)
        self.drill_dialog = dialog
        dialog.show()

    # ------------------------------------------------------------------ export

    def choose_export(self, fmt: str) -> None:
        if self.data is None:
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation) or str(
            Path.home()
        )
        figures = self.data.figures
        stem = f"{'_'.join(figures.ward_codes)}_{figures.label or figures.period.start.date().isoformat()}"
        suggested = str(Path(folder) / f"{_('quality_report')}_{stem}.{fmt}")
        path, _filter = QFileDialog.getSaveFileName(self, _("Export report"), suggested, f"*.{fmt}")
        if path:
            self.export(fmt, Path(path))

    def export(self, fmt: str, path: Path) -> Operation:
        """Write the report of the shown scope and period to ``path`` off the GUI thread."""
        assert self.data is not None
        ctx, figures = self.ctx, self.data.figures
        codes, period, label = figures.ward_codes, figures.period, figures.label
        lang = "zh_CN" if current_language() == "zh_CN" else "en"
        relay = ProgressRelay(self)
        relay.sig_progress.connect(while_alive(self, self._progress))
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.export_button.setEnabled(False)

        def job() -> Path:
            return export_report(
                ctx, codes, period, label, fmt, path, lang=lang, progress=relay.sig_progress.emit
            )

        return self.busy.run(job, self._exported, self._export_failed, owner=self)

    def _progress(self, step: int, total: int, _label: str) -> None:
        self.progress.setRange(0, total + 1)  # the last slice is the writing of the file
        self.progress.setValue(step)

    def _exported(self, path: Path) -> None:
        self.progress.setVisible(False)
        self.export_button.setEnabled(True)
        self.exported = path
        self._show_message(None)
        self.as_of_label.setToolTip(str(path))
        self.sig_exported.emit(path)
        if not getattr(self, "quiet_export", False):
            box = QMessageBox(
                QMessageBox.Icon.Information,
                _("Export report"),
                _("Report saved:\n{path}").format(path=path),
                parent=self,
            )
            open_button = box.addButton(_("Open"), QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Close).setText(_("Close"))
            box.exec()
            if box.clickedButton() is open_button:
                QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))

    def _export_failed(self, error: Exception) -> None:
        self.progress.setVisible(False)
        self.export_button.setEnabled(True)
        self._show_message(lambda: _("Export failed: {error}").format(error=error))


def _headline_cells(h: Headline) -> tuple[str, ...]:
    c = h.current
    return (
        _rate_cell(c.miss),
        _rate_cell(c.on_time),
        _rate_cell(c.reach),
        _rate_cell(c.satisfaction),
        fmt_seconds(c.durations.median_s),
        str(c.completed),
    )


def _line_cells(line: GroupLine) -> tuple[str, ...]:
    r = line.rates
    return (
        _rate_cell(r.miss),
        _rate_cell(r.on_time),
        _rate_cell(r.reach),
        _rate_cell(r.satisfaction),
        fmt_seconds(r.durations.median_s),
        str(line.completed),
    )
