"""Progress reporting for long work (network builds, matrices, solver runs).

Library code wraps long loops in :func:`task`; nothing is shown unless the CLI
(or a notebook user) calls :func:`enable`. Progress goes to stderr, so tables
written to stdout stay clean.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator

_enabled = False


def enable(on: bool = True) -> None:
    """Show progress bars (on stderr) from now on."""
    global _enabled
    _enabled = on


def is_enabled() -> bool:
    return _enabled


@contextlib.contextmanager
def task(description: str, total: float | None = None) -> Iterator[Callable[[float], None]]:
    """Context manager yielding ``advance(n)``; shows a bar when enabled.

    Examples
    --------
    >>> with task("Travel times", total=10) as advance:
    ...     for _ in range(10):
    ...         advance(1)
    """
    if not _enabled:
        def nothing(n: float = 1) -> None:
            return None

        yield nothing
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn()] if total else [TextColumn("[bold]{task.description}"), TimeElapsedColumn()]
    t0 = time.perf_counter()
    with Progress(*columns, console=console, transient=not console.is_terminal) as bar:
        tid = bar.add_task(description, total=total)
        def advance(n: float = 1) -> None:
            bar.advance(tid, n)

        yield advance
        if total:
            bar.update(tid, completed=total)
    if not console.is_terminal:
        print(f"{description}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)


def step(message: str) -> None:
    """Print one status line (when enabled)."""
    if _enabled:
        print(message, file=sys.stderr)
