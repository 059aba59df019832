"""Repositories: the only code that reads and writes tables. They speak domain types in and out."""

from admitall.store.repositories.audit import AuditRepository, ImportRepository, SecretRepository
from admitall.store.repositories.facilities import FacilityRepository
from admitall.store.repositories.persons import PersonRepository
from admitall.store.repositories.reports import ReportRepository
from admitall.store.repositories.units import UnitRepository
from admitall.store.repositories.users import UserRepository

__all__ = [
    "AuditRepository",
    "FacilityRepository",
    "ImportRepository",
    "PersonRepository",
    "ReportRepository",
    "SecretRepository",
    "UnitRepository",
    "UserRepository",
]
