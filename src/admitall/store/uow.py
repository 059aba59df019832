"""The unit of work: one transaction, the repositories that work inside it, commit or nothing.

Leaving the `with` block without `commit()` rolls everything back, so an error half-way through (or an
interrupted import) leaves the database exactly as it was.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Engine
from sqlalchemy.engine import Connection, RootTransaction

from admitall.keys import Keys
from admitall.store.repositories import (
    AuditRepository,
    FacilityRepository,
    ImportRepository,
    PersonRepository,
    ReportRepository,
    SecretRepository,
    UnitRepository,
    UserRepository,
)
from admitall.store.repositories.bulletins import BulletinRepository
from admitall.store.repositories.census import CensusRepository
from admitall.store.repositories.directives import DirectiveRepository
from admitall.store.repositories.officials import OfficialRepository
from admitall.store.repositories.scorecards import ScorecardRepository
from admitall.store.repositories.sim_runs import SimRunRepository
from admitall.store.repositories.waits import WaitRepository


class UnitOfWork:
    conn: Connection
    units: UnitRepository
    persons: PersonRepository
    users: UserRepository
    audit: AuditRepository
    imports: ImportRepository
    secrets: SecretRepository
    facilities: FacilityRepository
    reports: ReportRepository
    waits: WaitRepository
    officials: OfficialRepository
    directives: DirectiveRepository
    scorecards: ScorecardRepository
    sim_runs: SimRunRepository
    bulletins: BulletinRepository
    census: CensusRepository

    def __init__(self, engine: Engine, *, write: bool = False, keys: Keys | None = None) -> None:
        self.engine = engine
        self.write = write
        # the keys outside the database (admitall.keys) that the chained records are written with
        self.keys = keys or Keys(None, "")
        self._tx: RootTransaction | None = None

    def __enter__(self) -> UnitOfWork:
        conn = self.engine.connect()
        if self.write and self.engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        self.conn = conn
        self._tx = conn.begin()
        self.units = UnitRepository(conn)
        self.persons = PersonRepository(conn, self.keys)
        self.users = UserRepository(conn)
        self.audit = AuditRepository(conn, self.keys)
        self.imports = ImportRepository(conn)
        self.secrets = SecretRepository(conn)
        self.facilities = FacilityRepository(conn)
        self.reports = ReportRepository(conn, self.keys)
        self.waits = WaitRepository(conn)
        self.officials = OfficialRepository(conn)
        self.directives = DirectiveRepository(conn, self.keys)
        self.scorecards = ScorecardRepository(conn)
        self.sim_runs = SimRunRepository(conn)
        self.bulletins = BulletinRepository(conn)
        self.census = CensusRepository(conn)
        return self

    def commit(self) -> None:
        assert self._tx is not None
        self._tx.commit()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if self._tx is not None and self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
