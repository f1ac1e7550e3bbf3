"""Cells for spreadsheets: text that a spreadsheet would run as a formula stays text."""

# A cell starting with one of these is a formula to Excel or LibreOffice ("=HYPERLINK(...)",
# "+33…", "-2 pts", "@SUM"): CSV/formula injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Prefix a text cell that starts like a formula with a quote, so it stays text."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return "'" + value
    return value
