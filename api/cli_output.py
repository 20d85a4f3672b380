"""What every `gridgov` command prints on stderr, and how one fails."""

import typer
from rich.console import Console
from rich.markup import escape

from core.errors import DomainError

err = Console(stderr=True)


def fail(exc: DomainError) -> None:
    """A domain error as one red line (and its listed problems), exit status 2."""
    # The detail quotes user data (names, file paths): never read it as rich markup.
    err.print(f"[red]error:[/red] {escape(exc.detail)}")
    for problem in exc.extra.get("problems", [])[20:]:
        err.print(f"  {escape(problem)}")
    raise typer.Exit(2)
