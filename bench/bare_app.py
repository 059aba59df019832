"""The baseline for the reporting benchmark: a bare endpoint that writes one row, on the same database and
server stack (FastAPI, uvicorn, SQLAlchemy, psycopg) as AdmitAll, with nothing else — no authentication, no
validation, no figures, no chain.

    ADMITALL_DATABASE_URL=postgresql://... uvicorn bench.bare_app:app --port 8099
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert

from admitall.store.db import make_engine

metadata = MetaData()
rows = Table(
    "bench_bare_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(100), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
engine = make_engine(os.environ["ADMITALL_DATABASE_URL"])
metadata.create_all(engine)
app = FastAPI()


@app.post("/write")
def write(body: dict[str, str]) -> dict[str, str]:
    with engine.begin() as conn:
        conn.execute(insert(rows).values(key=body.get("key", ""), at=datetime.now(UTC)))
    return {"ok": "yes"}
