"""Demo retail data with planted truth, for demos, tests and benchmarks.

:func:`generate_demo_data` builds the raw exports (pure, in memory) and the truth the
analyses should recover; :func:`write_demo_data` puts them in a lake and on disk.
"""

from __future__ import annotations

from shopsight.demo.export import DemoSummary, FileSummary, write_demo_data
from shopsight.demo.generate import (
    FX_RATES,
    GENERATOR_VERSION,
    DemoDataset,
    RawFile,
    Scale,
    generate_demo_data,
)

__all__ = [
    "FX_RATES",
    "GENERATOR_VERSION",
    "DemoDataset",
    "DemoSummary",
    "FileSummary",
    "RawFile",
    "Scale",
    "generate_demo_data",
    "write_demo_data",
]
