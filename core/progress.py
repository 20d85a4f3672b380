"""Progress bars for long command-line work (imports, demo loads, benchmark datasets)."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# (stage, done, total): the shape every long-running service function reports progress in.
StageProgress = Callable[[str, int, int], None]


@contextmanager
def stage_bars(console: Console | None = None) -> Iterator[StageProgress]:
    """One bar per stage, created the first time that stage reports."""
    columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console or Console(stderr=True)) as progress:
        bars: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = progress.add_task(stage, total=total)
            progress.update(bars[stage], completed=done, total=total)

        yield update
