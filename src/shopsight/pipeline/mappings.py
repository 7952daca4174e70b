"""Load a retailer mapping file (TOML or YAML) from disk; parsing lives in schema.mapping."""

from __future__ import annotations

import tomllib
from pathlib import Path

from shopsight.errors import MappingError
from shopsight.schema.mapping import Mapping, parse_mapping


def load_mapping(path: Path) -> Mapping:
    """Read a mapping from a .toml, .yaml or .yml file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(str(path), f"cannot read ({exc.strerror})") from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = tomllib.loads(text)
    except Exception as exc:  # tomllib.TOMLDecodeError, yaml.YAMLError
        raise MappingError(str(path), f"is not valid {path.suffix.lstrip('.')}: {exc}") from None
    if not isinstance(data, dict):
        raise MappingError(str(path), "must be a table/dictionary at top level")
    return parse_mapping(data, name=str(path))
