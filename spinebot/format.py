"""Numbers and money as people read them, the same on every surface.

Slack blocks, the console, the CLI and the digest all format through here, so a value
reads the same wherever it appears and no package needs ``bot`` to print a number.
"""

from __future__ import annotations


def money(value: float | None) -> str:
    """Whole currency units with thousands separators; a true minus sign; — for none."""
    if value is None:
        return "—"
    sign = "−" if value < 0 else ""
    return f"{sign}${abs(value):,.0f}"


def number(value: float | int | None) -> str:
    """A count or measurement without float noise: 12, 12.5, 1,250; — for none."""
    if value is None:
        return "—"
    number_ = float(value)
    if number_.is_integer():
        return f"{int(number_):,}"
    return f"{number_:,.2f}".rstrip("0").rstrip(".")
