"""The one exception tree of shopsight.

Every error a user can cause or meet derives from :class:`ShopsightError`, carries the
data needed to act on it, and renders a message that says what went wrong, where, and
what to do. The CLI prints them as one red line; the API (later) maps them to status
codes in one handler.

    ShopsightError
    ├── ConfigError(field, hint)                 a setting is missing or unsafe
    ├── ContractError(table, hint)               unknown table, bad contract or mapping
    │   └── MappingError(mapping_file, hint)     a retailer column mapping is invalid
    ├── InputRejected(file, reason)              a whole input file cannot be used
    ├── ValidationFailed(table, file, rows)      some rows of a file broke the contract
    ├── LakeError(location, hint)                the lake cannot be read or written
    │   └── PathOutsideLake(key)                 a key tries to escape its zone
    ├── StateError(hint)                         the state store is unusable
    ├── NotFound(kind, identifier)               an id that does not exist
    ├── InvalidParameter(name, value, valid)     a request parameter is out of range
    ├── NotEnoughHistory(subject, have, need)    too little data to fit or evaluate a model
    ├── UnsafeQuery(sql, reason)                 SQL the copilot refuses to run
    ├── NotAuthenticated(hint)                   no valid API key
    └── AccessDenied(role, action)               the key's role may not do this

Messages never contain card numbers, CVVs or SSNs: callers pass positions and column
names, not sensitive values (see ``quality.validation``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date


class ShopsightError(Exception):
    """Root of every error shopsight raises on purpose."""

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ConfigError(ShopsightError):
    """A setting is missing, malformed or unsafe for the current environment."""

    exit_code = 2

    def __init__(self, field: str, hint: str) -> None:
        super().__init__(f"setting {field}: {hint}")
        self.field = field
        self.hint = hint


class ContractError(ShopsightError):
    """A table is not in the data contract, or the contract is used inconsistently."""

    exit_code = 2

    def __init__(self, table: str, hint: str) -> None:
        super().__init__(f"table {table!r}: {hint}")
        self.table = table
        self.hint = hint


class MappingError(ContractError):
    """A retailer's column mapping file cannot be applied."""

    def __init__(self, mapping_file: str, hint: str) -> None:
        ShopsightError.__init__(self, f"mapping {mapping_file}: {hint}")
        self.table = ""
        self.mapping_file = mapping_file
        self.hint = hint


class InputRejected(ShopsightError):
    """A whole input file cannot be ingested (empty, not CSV/Parquet, missing columns...).

    The original stays in ``raw/``; a reason file is written under ``rejected/``.
    """

    exit_code = 3

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


class ValidationFailed(ShopsightError):
    """Rows of a file broke the contract; ``rows`` holds (row, column, reason) triples."""

    exit_code = 3

    def __init__(self, table: str, file: str, rows: Sequence[tuple[int, str, str]]) -> None:
        first = rows[0] if rows else (0, "", "")
        more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
        super().__init__(
            f"{file} row {first[0]} column {first[1]}: {first[2]}{more}; table {table}"
        )
        self.table = table
        self.file = file
        self.rows = list(rows)


class LakeError(ShopsightError):
    """The lake (local folder or s3://) cannot be read or written."""

    def __init__(self, location: str, hint: str) -> None:
        super().__init__(f"lake {location}: {hint}")
        self.location = location
        self.hint = hint


class ModelIntegrityError(LakeError):
    """A stored model's bytes do not match the signature saved with them."""

    def __init__(self, model: str, version: str) -> None:
        super().__init__(
            f"models/{model}/{version}",
            "the model does not match its signature: it was changed after it was saved, or "
            "saved with another SHOPSIGHT_SIGNING_KEY. It is not loaded; run `shopsight "
            "train` to train and save a new version")


class PathOutsideLake(LakeError):
    """A key contains '..', an absolute path or a NUL byte and would escape its zone."""

    exit_code = 3

    def __init__(self, key: str) -> None:
        shown = key.replace("\x00", "\\0")
        ShopsightError.__init__(
            self,
            f"refused path {shown!r}: keys must be relative, without '..' or NUL bytes; "
            "rename the file and try again",
        )
        self.location = shown
        self.hint = "path escapes the lake"
        self.key = shown


class StateError(ShopsightError):
    """The state store (SQLite by default) cannot be opened or written."""

    def __init__(self, hint: str) -> None:
        super().__init__(f"state store: {hint}")
        self.hint = hint


class NotFound(ShopsightError):
    """An identifier that does not exist (table, file, product, customer...)."""

    exit_code = 4

    def __init__(self, kind: str, identifier: str, hint: str = "") -> None:
        tail = f"; {hint}" if hint else ""
        super().__init__(f"{kind} {identifier!r} not found{tail}")
        self.kind = kind
        self.identifier = identifier


class InvalidParameter(ShopsightError):
    """A request parameter is outside its valid range; the message states the range."""

    exit_code = 2

    def __init__(self, name: str, value: object, valid: str) -> None:
        # a date as typed (2026-11-18), not as Python writes it (datetime.date(2026, 11, 18))
        shown = value.isoformat() if isinstance(value, date) else repr(value)
        super().__init__(f"{name}={shown} is not valid: expected {valid}")
        self.name = name
        self.value = value
        self.valid = valid


class NotEnoughHistory(ShopsightError):
    """Too little data for a model; says how much there is and how much is needed."""

    exit_code = 4

    def __init__(self, subject: str, have: str, need: str) -> None:
        super().__init__(f"not enough history for {subject}: have {have}, need {need}")
        self.subject = subject
        self.have = have
        self.need = need


class UnsafeQuery(ShopsightError):
    """A SQL statement the copilot will not run; ``reason`` says which rule it broke."""

    exit_code = 3

    def __init__(self, sql: str, reason: str) -> None:
        super().__init__(f"refused query: {reason}")
        self.sql = sql
        self.reason = reason


class NotAuthenticated(ShopsightError):
    """No API key, or one that is unknown or revoked."""

    def __init__(self, hint: str = "send a valid key in the X-API-Key header") -> None:
        super().__init__(f"authentication required: {hint}")


class AccessDenied(ShopsightError):
    """The caller's role may not do this."""

    def __init__(self, role: str, action: str) -> None:
        super().__init__(f"a {role} key may not {action}")
        self.role = role
        self.action = action
