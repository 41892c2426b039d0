"""P4Runtime ids, assigned the way p4c assigns them.

An id is 32 bits: an 8-bit resource-type prefix and 24 bits taken from Bob
Jenkins' one-at-a-time hash of the object's fully qualified name (the name
P4Info prints, without a leading dot).  Ids given with `@id(N)` are reserved
first; N may carry the prefix already (it must then be the right one) or not
(the prefix is added).  The other objects of each kind are then hashed in
sorted name order; a collision moves the hashed value up by one until a free
id is found, wrapping within the 24 bits so the prefix never changes.

The controller header kind hashes the header *type* name.  Match fields,
action parameters and packet metadata are not hashed: they are numbered 1..N.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import IntEnum

__all__ = [
    "IdAllocator",
    "IdError",
    "Kind",
    "assign_ids",
    "hashed_id",
    "jenkins_one_at_a_time",
]

_MASK32 = 0xFFFFFFFF
_MASK24 = 0xFFFFFF


class Kind(IntEnum):
    """The 8-bit prefix of each kind of P4Runtime object (p4info.proto's P4Ids.Prefix)."""

    ACTION = 0x01
    TABLE = 0x02
    VALUE_SET = 0x03
    CONTROLLER_HEADER = 0x04
    ACTION_PROFILE = 0x11
    COUNTER = 0x12
    DIRECT_COUNTER = 0x13
    METER = 0x14
    DIRECT_METER = 0x15
    REGISTER = 0x16
    DIGEST = 0x17


class IdError(ValueError):
    """An `@id` that cannot be honoured (wrong prefix, used twice, out of range)."""


def jenkins_one_at_a_time(data: str | bytes) -> int:
    """Bob Jenkins' one-at-a-time hash of `data` (a str is hashed as its UTF-8 bytes), 32 bits."""
    raw = data.encode() if isinstance(data, str) else data
    h = 0
    for byte in raw:
        h = (h + byte) & _MASK32
        h = (h + (h << 10)) & _MASK32
        h ^= h >> 6
    h = (h + (h << 3)) & _MASK32
    h ^= h >> 11
    return (h + (h << 15)) & _MASK32


def hashed_id(kind: Kind, name: str) -> int:
    """The id `name` gets when nothing collides with it."""
    return (int(kind) << 24) | (jenkins_one_at_a_time(name) & _MASK24)


class IdAllocator:
    """Hands out ids for one program: reserve every `@id` first, then assign the rest.

    Names are unique per kind; adding a name twice returns the id it already has
    (p4c treats such duplicates as the same object).
    """

    def __init__(self) -> None:
        self._taken: set[int] = set()
        self._ids: dict[tuple[Kind, str], int] = {}

    def reserve(self, kind: Kind, name: str, annotated: int) -> int:
        """Give `name` the id written in its `@id(annotated)`, with the kind's prefix added."""
        key = (kind, name)
        if key in self._ids:
            return self._ids[key]
        if not 0 <= annotated <= _MASK32:
            raise IdError(f"{name}: @id should be an unsigned 32-bit integer, not {annotated}")
        prefix = int(kind) << 24
        written_prefix = annotated & 0xFF000000
        if written_prefix not in (0, prefix):
            raise IdError(
                f"{name}: @id 0x{annotated:08x} has the wrong 8-bit prefix "
                f"(a {kind.name.lower().replace('_', ' ')} id starts with 0x{int(kind):02x})"
            )
        full = annotated | prefix
        if full in self._taken:
            raise IdError(f"{name}: @id 0x{full:08x} is assigned to multiple declarations")
        self._taken.add(full)
        self._ids[key] = full
        return full

    def assign(self, kind: Kind, names: Iterable[str]) -> dict[str, int]:
        """Assign ids to every name of `kind` not reserved yet, in sorted name order."""
        result: dict[str, int] = {}
        prefix = int(kind) << 24
        for name in sorted(set(names)):
            key = (kind, name)
            if key not in self._ids:
                start = jenkins_one_at_a_time(name) & _MASK24
                low = start
                while prefix | low in self._taken:
                    low = (low + 1) & _MASK24
                    if low == start:
                        raise IdError(f"no P4Runtime id left for {name}")
                self._taken.add(prefix | low)
                self._ids[key] = prefix | low
            result[name] = self._ids[key]
        return result

    def has(self, kind: Kind, name: str) -> bool:
        """Whether `name` of `kind` has an id."""
        return (kind, name) in self._ids

    def id_of(self, kind: Kind, name: str) -> int:
        """The id given to `name`; KeyError if it has none."""
        return self._ids[(kind, name)]


def assign_ids(symbols: Mapping[Kind, Mapping[str, int | None]]) -> dict[tuple[Kind, str], int]:
    """Ids for a whole program: `symbols[kind][name]` is the `@id` value or None.

    Every `@id` of every kind is reserved before any name is hashed, as p4c does.
    """
    allocator = IdAllocator()
    for kind in sorted(symbols):
        for name, annotated in symbols[kind].items():
            if annotated is not None:
                allocator.reserve(kind, name, annotated)
    out: dict[tuple[Kind, str], int] = {}
    for kind in sorted(symbols):
        for name, ident in allocator.assign(kind, symbols[kind]).items():
            out[(kind, name)] = ident
    return out
