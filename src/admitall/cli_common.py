"""What every `admitall` command shares: the language, one JSON object or lines, errors without stack traces."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from admitall.domain.errors import AdmitAllError
from admitall.services.context import Context, make_context


def lang() -> str:
    return "en" if os.environ.get("ADMITALL_LANG", "zh").lower().startswith("en") else "zh"


def emit(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        for line in lines:
            typer.echo(line)


@contextmanager
def errors(as_json: bool) -> Iterator[None]:
    """Every AdmitAll error ends as a clear message and exit code 2, never a stack trace."""
    try:
        yield
    except AdmitAllError as e:
        if as_json:
            typer.echo(json.dumps({"error": e.as_dict(lang())}, ensure_ascii=False))
        else:
            typer.echo(f"{'Error' if lang() == 'en' else '错误'}: {e.message(lang())}", err=True)
        raise typer.Exit(2) from None
    except Exception as e:  # a bug or an outage: say so in one line; the traceback only when asked for
        if os.environ.get("ADMITALL_DEBUG"):
            raise
        message = f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if as_json:
            typer.echo(json.dumps({"error": {"code": "internal", "message": message}}, ensure_ascii=False))
        else:
            typer.echo(f"Internal error (set ADMITALL_DEBUG=1 for details): {message}", err=True)
        raise typer.Exit(3) from None


def context() -> Context:
    return make_context()
