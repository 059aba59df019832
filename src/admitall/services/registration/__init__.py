"""Registering people, one from a form or a hundred thousand from a file, in one transaction.

Every row ends in exactly one of: accepted (a new person), merged (the same person is already registered, or
appears earlier in the same batch) or rejected (with its row number, field and reason). Nothing is written
unless everything is: an error, or an interruption, anywhere before the commit leaves the registry as it was.
"""

from admitall.services.registration.batch import Progress, RawRow, register_batch
from admitall.services.registration.summary import BatchSummary, Rejection

__all__ = ["BatchSummary", "Progress", "RawRow", "Rejection", "register_batch"]
