"""Numbers and money as people read them, the same on every surface.

Slack blocks, the console, the CLI and the digest all format through here, so a value
reads the same wherever it appears and no package needs ``bot`` to print a number.
"""

from __future__ import annotations

# Symbols written before the amount; other codes are written after it ("1,200 CHF").
SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "AUD": "A$",
    "CAD": "C$",
    "NZD": "NZ$",
    "KRW": "₩",
    "BRL": "R$",
}


def money(value: float | None, currency: str | None = None) -> str:
    """Whole currency units with thousands separators; a true minus sign; — for none.

    ``currency`` is an ISO code; by default the CURRENCY setting.
    """
    if value is None:
        return "—"
    code = (currency or _configured_currency()).upper()
    sign = "−" if value < 0 else ""
    amount = f"{abs(value):,.0f}"
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {code}"


def _configured_currency() -> str:
    from spinebot.settings import get_settings

    try:
        return get_settings().currency
    except Exception:  # noqa: BLE001 - formatting must never fail on a settings problem
        return "USD"


def number(value: float | int | None) -> str:
    """A count or measurement without float noise: 12, 12.5, 1,250; — for none."""
    if value is None:
        return "—"
    number_ = float(value)
    if number_.is_integer():
        return f"{int(number_):,}"
    return f"{number_:,.2f}".rstrip("0").rstrip(".")
