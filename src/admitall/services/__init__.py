"""Use cases: load through the store, decide with the domain, save, with time from the injected clock."""
