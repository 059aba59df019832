"""AdmitAll: admit everyone who must be admitted (应收尽收), leave nobody behind (不漏一人)."""

__version__ = "0.1.0"
