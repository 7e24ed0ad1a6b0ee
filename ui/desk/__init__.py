"""The nurse's desk feature: worklist, patient and call panels, status bar, settings and login.

Public API: ``ui.main_window.MainWindow`` assembles these widgets; ``ui.app.main``
runs login then the main window. Everything here is thin: cache work goes through
``nurse_app.desk`` / ``nurse_app.store`` functions run off the GUI thread.
"""
