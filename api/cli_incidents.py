"""`gridgov incidents …`: the case kernel's background work (the deadline sweep, the
outbox), run by hand in this process (core/workflow/tasks.py)."""

import json
from typing import Annotated

import typer

from api.cli_output import err

incidents_app = typer.Typer(help="The incident hub's background work, run by hand.",
                            no_args_is_help=True)


@incidents_app.command("sweep")
def incidents_sweep(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
) -> None:
    """Run the deadline sweep of every clock now (the beat runs it every
    SWEEP_INTERVAL_SECONDS)."""
    from core.workflow.tasks import sweep_clocks

    result = sweep_clocks()  # the beat's task, run here in this process
    if as_json:
        print(json.dumps(result))
    else:
        print(", ".join(f"{name} {count:,}" for name, count in result.items()
                        if isinstance(count, int)))


@incidents_app.command("deliver")
def incidents_deliver() -> None:
    """Deliver the pending notifications and queued tasks of the outbox now."""
    from core.workflow.tasks import deliver_outbox

    err.print(f"delivered {deliver_outbox():,} message(s)")
