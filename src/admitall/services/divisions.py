"""Wuhan's city, districts and streets with their statistical division codes (packaged `data/divisions.csv`; the
source is in `data/wuhan-2020/README.md` of the project's reference data)."""

from __future__ import annotations

import csv
from importlib import resources


def read_divisions() -> list[dict[str, str]]:
    with resources.files("admitall").joinpath("data/divisions.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))
