"""`gridgov audit …`: seal the audit log's committed events and check its hash chain
(core/audit.py)."""

import json
from typing import Annotated

import typer

from api.cli_output import err
from core.db import session_scope
from core.progress import stage_bars

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    seal: Annotated[bool, typer.Option(help="seal the committed events first (as the beat "
                                            "does); --no-seal only reads")] = True,
) -> None:
    """Check the audit log's hash chain. Exit 1 naming the first row edited, deleted or
    inserted out of order."""
    from core.audit import seal_all, verify_chain

    if seal:
        seal_all()
    with stage_bars(err) as update, session_scope() as session:
        # One snapshot for the rows and the chain head; nothing written.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                              "postgresql_readonly": True})
        report = verify_chain(session, progress=lambda done, total: update("verify", done,
                                                                           total))
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        print(report.verdict())
    raise typer.Exit(0 if report.ok else 1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Give every committed event its place in the chain now (the beat does it every 2 s)."""
    from core.audit import seal_all

    err.print(f"sealed {seal_all():,} event(s)")
