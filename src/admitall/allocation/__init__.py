"""The admission engine: snapshot in, plan out. Pure (see issue 3)."""
