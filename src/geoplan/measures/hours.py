"""Opening hours of facilities: a small, strict subset of the OSM ``opening_hours`` syntax.

Accepted forms (rules separated by ``;``; later rules do not override earlier
ones, a site is open when any rule says so):

- ``00-24`` or ``24/7`` — always open;
- ``08-22`` — every day from 08:00 to 22:00; ``22-06`` wraps past midnight;
- ``Mo-Fr 16-23`` — on the given days; day lists ``Mo,We`` and ranges ``Mo-Fr``
  and ``Sa-Su``; ``PH`` (public holidays) is accepted and treated as Sunday;
- several intervals: ``Mo-Fr 07-09,16-23``;
- empty — no opening hours recorded: treated as *closed for acute use*.

Limits
------
Hours are whole hours; minutes (``08:30``) are rounded down; month/week rules
are not supported and raise :class:`ValueError`.
"""

from __future__ import annotations

import re
from functools import lru_cache

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
_RULE = re.compile(r"^(?:(?P<days>[A-Za-z,\- ]+?)\s+)?(?P<times>\d{1,2}(?::\d\d)?-\d{1,2}(?::\d\d)?(?:,\d{1,2}(?::\d\d)?-\d{1,2}(?::\d\d)?)*)$")


@lru_cache(maxsize=512)
def open_hours_table(spec: str) -> tuple[tuple[bool, ...], ...]:
    """A 7 × 24 table (Monday first) of whether ``spec`` is open in each hour.

    Raises
    ------
    ValueError
        The text is not in the accepted subset (the message shows what is).
    """
    spec = (spec or "").strip()
    table = [[False] * 24 for _ in range(7)]
    if not spec:
        return tuple(tuple(r) for r in table)
    if spec in ("24/7", "00-24", "0-24"):
        return tuple(tuple([True] * 24) for _ in range(7))
    for raw in spec.split(";"):
        rule = raw.strip()
        if not rule:
            continue
        m = _RULE.match(rule)
        if not m:
            raise ValueError(f"opening hours {spec!r}: cannot read {rule!r}; write e.g. '00-24', '08-22' or 'Mo-Fr 16-23; Sa-Su,PH 08-23'")
        days = _parse_days(m.group("days"), spec) if m.group("days") else list(range(7))
        for interval in m.group("times").split(","):
            a, b = (int(x.split(":")[0]) for x in interval.split("-"))
            if not (0 <= a <= 24 and 0 <= b <= 24):
                raise ValueError(f"opening hours {spec!r}: hour out of range in {interval!r}")
            hours = list(range(a, b)) if a < b else list(range(a, 24)) + [(d + 24) for d in range(0, b)]
            for d in days:
                for h in hours:
                    day, hour = (d, h) if h < 24 else ((d + 1) % 7, h - 24)
                    table[day][hour] = True
    return tuple(tuple(r) for r in table)


def _parse_days(text: str, spec: str) -> list[int]:
    out: list[int] = []
    for part in text.replace(" ", "").split(","):
        if part == "PH":
            out.append(6)
            continue
        if "-" in part:
            a, b = part.split("-")
            if a not in DAYS or b not in DAYS:
                raise ValueError(f"opening hours {spec!r}: unknown day in {part!r} (use Mo Tu We Th Fr Sa Su PH)")
            i, j = DAYS.index(a), DAYS.index(b)
            out += list(range(i, j + 1)) if i <= j else list(range(i, 7)) + list(range(0, j + 1))
        elif part in DAYS:
            out.append(DAYS.index(part))
        else:
            raise ValueError(f"opening hours {spec!r}: unknown day {part!r} (use Mo Tu We Th Fr Sa Su PH)")
    return sorted(set(out))


def is_open(spec: str, *, hour: int, weekday: int = 0) -> bool:
    """Whether a site with opening hours ``spec`` is open at ``hour`` (0–23) on ``weekday`` (0 = Monday)."""
    return open_hours_table(spec)[weekday][hour]
