"""A course roster as CSV, pure: `name,email,role[,child_email]` with a header line; every line
checked, every fault named with its line and field; the rows only if none is at fault."""

import array
import csv
import io
from dataclasses import dataclass
from typing import Any

from pydantic import EmailStr, TypeAdapter, ValidationError

ROLES = ("student", "teacher", "parent")
COLUMNS = ("name", "email", "role", "child_email")
MAX_ERRORS = 100  # a file with more faults than this is reported by its first hundred
MAX_LINES = 100_000  # members of one course: a roster longer is refused, not read to its end
_email = TypeAdapter(EmailStr)


@dataclass(frozen=True)
class RosterRow:
    line: int
    name: str
    email: str
    role: str
    child_email: str | None


@dataclass(frozen=True)
class RosterFault:
    line: int
    field: str
    message: str


@dataclass(frozen=True)
class RosterColumns:
    """The rows as columns, one list each: what crosses from the process that parsed them.

    They cross packed — each column as NUL-joined UTF-8 slices of PACK_ROWS values (a value never
    holds a NUL: `_check` refuses it) — because the answer is unpickled on a thread of the service,
    holding the interpreter's lock for as long as one C call lasts: a hundred thousand strings are
    one call of tens of ms, during which the event loop waits; a few large bytes objects are a
    copy, and each slice is split in a call of its own."""

    lines: list[int]
    names: list[str]
    emails: list[str]
    roles: list[str]
    children: list[str | None]

    def __len__(self) -> int:
        return len(self.lines)

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        children = [c or "" for c in self.children]  # "" is no email address: None again
        packed = [_pack(column) for column in (self.names, self.emails, self.roles, children)]
        return _unpacked, (array.array("q", self.lines).tobytes(), *packed)


PACK_ROWS = 5_000


def _pack(values: list[str]) -> list[bytes]:
    return ["\0".join(values[i : i + PACK_ROWS]).encode() for i in range(0, len(values), PACK_ROWS)]


def _unpack(slices: list[bytes]) -> list[str]:
    values: list[str] = []
    for piece in slices:
        values += piece.decode().split("\0")
    return values


def _unpacked(lines: bytes, *packed: list[bytes]) -> RosterColumns:
    names, emails, roles, children = (_unpack(column) for column in packed)
    lines_ = array.array("q", lines).tolist()
    return RosterColumns(lines_, names, emails, roles, [c or None for c in children])


def parse_roster_bytes(body: bytes) -> tuple[RosterColumns, list[RosterFault]]:
    """As `parse_roster`, from the request's bytes (UTF-8, a byte-order mark allowed), as columns."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return RosterColumns([], [], [], [], []), [
            RosterFault(0, "body", f"the roster is not UTF-8 (byte {exc.start})")
        ]
    rows, faults = parse_roster(text)
    columns = RosterColumns(
        [r.line for r in rows], [r.name for r in rows], [r.email for r in rows], [r.role for r in rows],
        [r.child_email for r in rows],
    )  # fmt: skip
    return columns, faults


def parse_roster(text: str) -> tuple[list[RosterRow], list[RosterFault]]:
    """The rows, and the faults (none: the rows may be imported). A parent's child must be a
    student of the file or, once checked against the course (the use case), of the course."""
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS[:3] if c not in header]
    unknown = [h for h in header if h not in COLUMNS]
    if missing or unknown:
        what = f"missing {', '.join(missing)}" if missing else f"unknown {', '.join(unknown)}"
        return [], [RosterFault(1, "header", f"columns must be {','.join(COLUMNS)} ({what})")]
    at = {name: header.index(name) for name in header}
    rows: list[RosterRow] = []
    faults: list[RosterFault] = []
    # A person is on one line, but a parent who follows several children on a line per child.
    seen: dict[str, RosterRow] = {}
    links: dict[tuple[str, str | None], int] = {}
    for line, cells in enumerate(reader, start=2):
        if line > MAX_LINES + 1:
            return [], [RosterFault(line, "body", f"a roster has at most {MAX_LINES} lines after its header")]
        if not any(c.strip() for c in cells):
            continue  # a blank line
        if len(cells) != len(header):
            faults.append(RosterFault(line, "row", f"{len(cells)} cells, the header has {len(header)}"))
            continue
        value = {name: cells[i].strip() for name, i in at.items()}
        row_faults = _check(line, value)
        email = value["email"].lower()
        child = value.get("child_email", "").lower() or None
        earlier = seen.get(email)
        if not row_faults and earlier is not None:
            if earlier.role != "parent" or value["role"] != "parent" or (email, child) in links:
                first = links.get((email, child), earlier.line)
                row_faults.append(RosterFault(line, "email", f"already on line {first}"))
            elif earlier.name != value["name"]:
                row_faults.append(RosterFault(line, "name", f"differs from line {earlier.line}'s"))
        faults += row_faults
        if not row_faults:
            row = RosterRow(line, value["name"], email, value["role"], child)
            seen.setdefault(email, row)
            links[(email, child)] = line
            rows.append(row)
        if len(faults) >= MAX_ERRORS:
            break
    return rows, faults


def _check(line: int, value: dict[str, str]) -> list[RosterFault]:
    faults = []
    if not 1 <= len(value["name"]) <= 200:
        faults.append(RosterFault(line, "name", "must be 1 to 200 characters"))
    try:
        _email.validate_python(value["email"])
    except ValidationError:
        faults.append(RosterFault(line, "email", f"not an email address: {value['email'][:80]!r}"))
    if value["role"] not in ROLES:
        faults.append(RosterFault(line, "role", f"must be one of {', '.join(ROLES)}"))
    child = value.get("child_email", "")
    if value["role"] == "parent" and not child:
        faults.append(RosterFault(line, "child_email", "a parent names the student they follow"))
    elif child and value["role"] != "parent":
        faults.append(RosterFault(line, "child_email", "only a parent follows a student"))
    if any("\x00" in v for v in value.values()):
        faults.append(RosterFault(line, "row", "contains a NUL character"))
    return faults
