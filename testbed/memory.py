"""An accelerator's memory, sparse: only the pages written hold bytes, so a 64 GiB or 192 GiB accelerator is fine.

`SparseMemory(size)` reads as `size` zero bytes and behaves as a fixed-size bytearray where the emulator and the
demos use one: `len`, `memory[i]`, `memory[i] = v`, `memory[a:b]` (bytes), `memory[a:b] = data` (same length),
iteration, and `first_difference` against another memory or a bytes-like image.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import overload

PAGE = 4096


class SparseMemory:
    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"a memory of {size} bytes")
        self.size = size
        self.pages: dict[int, bytearray] = {}  # page number -> its PAGE bytes

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"SparseMemory({self.size}, {len(self.pages)} pages written)"

    def _index(self, index: int) -> int:
        at = index + self.size if index < 0 else index
        if not 0 <= at < self.size:
            raise IndexError(f"address {index:#x} is outside memory [0x0, {self.size:#x})")
        return at

    def _span(self, key: slice) -> tuple[int, int]:
        start, stop, step = key.indices(self.size)
        if step != 1:
            raise ValueError("a memory slice has no step")
        return start, max(start, stop)

    @overload
    def __getitem__(self, key: int) -> int: ...
    @overload
    def __getitem__(self, key: slice) -> bytes: ...
    def __getitem__(self, key: int | slice) -> int | bytes:
        if isinstance(key, slice):
            return self.read(*self._span(key))
        at = self._index(key)
        page = self.pages.get(at // PAGE)
        return 0 if page is None else page[at % PAGE]

    @overload
    def __setitem__(self, key: int, value: int) -> None: ...
    @overload
    def __setitem__(self, key: slice, value: bytes | bytearray) -> None: ...
    def __setitem__(self, key: int | slice, value: int | bytes | bytearray) -> None:
        if isinstance(key, slice):
            start, stop = self._span(key)
            data = bytes(value) if not isinstance(value, int) else None
            if data is None or len(data) != stop - start:
                raise ValueError(f"a memory slice of {stop - start} bytes cannot take {value!r:.40}")
            self.write(start, data)
            return
        if not isinstance(value, int) or not 0 <= value <= 0xFF:
            raise ValueError(f"a byte must be an integer in 0..255, got {value!r:.40}")
        at = self._index(key)
        self._page(at // PAGE)[at % PAGE] = value

    def _page(self, number: int) -> bytearray:
        page = self.pages.get(number)
        if page is None:
            page = self.pages[number] = bytearray(PAGE)
        return page

    def read(self, start: int, stop: int) -> bytes:
        """The bytes of [start, stop), zeros where nothing was written."""
        out = bytearray(stop - start)
        for number in range(start // PAGE, (stop + PAGE - 1) // PAGE):
            page = self.pages.get(number)
            if page is None:
                continue
            lo, hi = max(start, number * PAGE), min(stop, (number + 1) * PAGE)
            out[lo - start : hi - start] = page[lo - number * PAGE : hi - number * PAGE]
        return bytes(out)

    def write(self, start: int, data: bytes) -> None:
        """Store `data` at `start`; raises IndexError past either end."""
        if data:
            self._index(start)
            self._index(start + len(data) - 1)
        at = 0
        while at < len(data):
            address = start + at
            number, offset = divmod(address, PAGE)
            take = min(PAGE - offset, len(data) - at)
            self._page(number)[offset : offset + take] = data[at : at + take]
            at += take

    def store(self, written: Mapping[int, int]) -> None:
        """Apply a write given byte by byte (address -> value); nothing is stored if one byte is outside."""
        for address in written:
            self._index(address)
        for address, value in written.items():
            self._page(address // PAGE)[address % PAGE] = value

    def __iter__(self) -> Iterator[int]:
        for number in range((self.size + PAGE - 1) // PAGE):
            yield from self.read(number * PAGE, min(self.size, (number + 1) * PAGE))

    def first_difference(self, other: SparseMemory | bytes | bytearray, end: int | None = None) -> int | None:
        """The first address below `end` (default: the whole memory) where `other` holds another byte; None
        when they agree. Only the pages written on either side are compared when `other` is sparse too."""
        end = self.size if end is None else min(end, self.size)
        if isinstance(other, SparseMemory):
            numbers = sorted(n for n in {*self.pages, *other.pages} if n * PAGE < end)
        else:
            numbers = list(range((end + PAGE - 1) // PAGE))
        for number in numbers:
            lo, hi = number * PAGE, min(end, (number + 1) * PAGE)
            mine, theirs = self.read(lo, hi), bytes(other[lo:hi])
            theirs += bytes(len(mine) - len(theirs))  # a shorter image reads as zeros past its end
            if mine != theirs:
                return lo + next(i for i in range(len(mine)) if mine[i] != theirs[i])
        return None
