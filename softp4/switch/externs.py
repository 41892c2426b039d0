"""Stateful externs of v1model: register arrays and counter arrays."""

from __future__ import annotations

from typing import Any

DENSE_LIMIT = 1 << 20  # cells; bigger arrays are stored sparsely (a program may declare 2**32 cells)


class SparseCells(dict[int, int]):
    """Cells of a huge array: absent cells read as 0 and are not created by reading."""

    def __missing__(self, key: int) -> int:
        return 0


def new_cells(size: int) -> Any:
    return [0] * size if size <= DENSE_LIMIT else SparseCells()


class RegisterArray:
    """`register<T>(size)`: cells of `bitwidth` bits; out-of-range reads give 0, writes are ignored."""

    __slots__ = ("bitwidth", "cells", "mask", "name", "size")

    def __init__(self, name: str, size: int, bitwidth: int) -> None:
        self.name = name
        self.size = size
        self.bitwidth = bitwidth
        self.mask = (1 << bitwidth) - 1
        self.cells = new_cells(size)

    def read(self, index: int) -> int:
        if 0 <= index < self.size:
            return self.cells[index]
        return 0

    def write(self, index: int, value: int) -> None:
        if 0 <= index < self.size:
            self.cells[index] = int(value) & self.mask

    def reset(self) -> None:
        self.cells = new_cells(self.size)


class CounterArray:
    """`counter(size, type)`: BMv2 counters always count both bytes and packets."""

    __slots__ = ("binding", "bytes", "is_direct", "name", "packets", "size")

    def __init__(self, name: str, size: int, is_direct: bool = False, binding: str | None = None) -> None:
        self.name = name
        self.size = size
        self.is_direct = is_direct
        self.binding = binding
        self.bytes = new_cells(size)
        self.packets = new_cells(size)

    def count(self, index: int, nbytes: int) -> None:
        if 0 <= index < self.size:
            self.bytes[index] += nbytes
            self.packets[index] += 1

    def reset(self) -> None:
        self.bytes = new_cells(self.size)
        self.packets = new_cells(self.size)
