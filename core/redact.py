"""No secrets and no personal data in the logs, whoever logs.

A database error quotes values: SQLAlchemy appends the statement's parameters (hidden by
the engine's `hide_parameters`, core/db.py), and PostgreSQL's own DETAIL line names the
failing row or key ("Failing row contains (…, $argon2id$…, 13812345678, 4301…)"). The
error then reaches a log by several roads: our handler, the server's "Exception in ASGI
application", Celery's task failure. So the masking sits where every record is made, the
logging module's record factory, rather than at each road.
"""

import logging
import re

# Masked the way the API masks personal numbers for viewers (core/idnumbers.py).
_PATTERNS = (
    (re.compile(r"\$argon2[a-z]*\$[A-Za-z0-9+/=,$.-]*"), "$argon2…[hidden]"),
    (re.compile(r"\beyJ[\w-]*\.[\w-]+\.[\w-]+"), "[token hidden]"),  # a JWT
    (re.compile(r"(?i)(bearer\s+)[\w.~+/-]+=*"), r"\1[hidden]"),
    (re.compile(r"(Failing row contains )\(.*\)"), r"\1(…hidden…)"),
    (re.compile(r"(Key \([^)]*\)=)\(.*?\)( already exists| is not present|\.|$)", re.M),
     r"\1(…hidden…)\2"),
    (re.compile(r"\[parameters: .*\]"), "[parameters hidden]"),
    (re.compile(r"\b(\d{6})\d{8}(\d{3}[\dXx])\b"), r"\1********\2"),  # GB 11643
    (re.compile(r"\b(1[3-9]\d)\d{4}(\d{4})\b"), r"\1****\2"),  # a mobile number
)


def scrub(text: str) -> str:
    """`text` with secrets and personal numbers masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def install_log_redaction() -> None:
    """Every log record of the process masked as it is made (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact(record)
        return record

    factory.redacts = True
    logging.setLogRecordFactory(factory)


def _redact(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: left to logging's own error report
        return
    clean = scrub(message)
    if clean != message:  # untouched otherwise: some formatters read record.args
        record.msg, record.args = clean, ()
    if record.exc_info and record.exc_info[1] is not None:
        # Formatters print exc_text when it is set: the traceback is formatted once, here.
        record.exc_text = scrub(logging.Formatter().formatException(record.exc_info))
