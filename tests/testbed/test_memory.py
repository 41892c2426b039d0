"""The accelerator emulator's sparse memory: a bytearray's behaviour without its size, so 64 GiB is fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from controller import topology
from testbed import demo
from testbed.inprocess import Artifacts
from testbed.memory import PAGE, SparseMemory
from testbed.rack import Rack

ROOT = Path(__file__).resolve().parents[2]


def test_reads_as_zeros_and_keeps_what_is_written_across_pages() -> None:
    memory = SparseMemory(3 * PAGE)
    assert len(memory) == 3 * PAGE and memory[5] == 0 and memory[-1] == 0
    memory[PAGE - 2 : PAGE + 2] = b"\x01\x02\x03\x04"
    assert memory[PAGE - 3 : PAGE + 3] == b"\x00\x01\x02\x03\x04\x00"
    assert sorted(memory.pages) == [0, 1]  # only the two pages touched hold bytes
    memory[7] ^= 0xFF
    assert memory[7] == 0xFF and memory[-1:] == b"\x00" and memory[3 * PAGE - 1 : 10 * PAGE] == b"\x00"
    assert sum(1 for byte in memory if byte) == 5 and len(list(memory)) == 3 * PAGE
    memory.store({0: 9, 2 * PAGE: 8})
    assert (memory[0], memory[2 * PAGE]) == (9, 8)


@pytest.mark.parametrize(
    ("action", "error"),
    [
        (lambda m: m.__getitem__(100), IndexError),
        (lambda m: m.__setitem__(-101, 1), IndexError),
        (lambda m: m.__setitem__(0, 256), ValueError),
        (lambda m: m.__setitem__(slice(0, 4), b"abc"), ValueError),
        (lambda m: m.write(98, b"abc"), IndexError),
        (lambda m: m.store({0: 1, 100: 2}), IndexError),
        (lambda m: m.__getitem__(slice(0, 10, 2)), ValueError),
    ],
)
def test_refuses_what_a_fixed_size_bytearray_would(action: object, error: type[Exception]) -> None:
    memory = SparseMemory(100)
    with pytest.raises(error):
        action(memory)  # type: ignore[operator]
    assert memory[0] == 0 and not memory.pages  # a refused write stores nothing


def test_first_difference_against_sparse_and_plain_images() -> None:
    memory = SparseMemory(4 * PAGE)
    image = SparseMemory(4 * PAGE)
    assert memory.first_difference(image) is None
    memory[3 * PAGE + 5] = 1
    assert memory.first_difference(image) == 3 * PAGE + 5
    assert memory.first_difference(image, end=3 * PAGE) is None
    image[3 * PAGE + 5] = 1
    image[10] = 2
    assert memory.first_difference(image) == 10
    plain = bytearray(4 * PAGE)
    plain[3 * PAGE + 5] = 1
    assert memory.first_difference(plain) is None
    assert memory.first_difference(bytes(PAGE)) == 3 * PAGE + 5  # a short image reads as zeros past its end


@pytest.mark.parametrize("memory", ["64GiB", "192GiB"])
def test_a_rack_of_big_accelerators_runs_the_demo(
    memory: str, programs: tuple[Artifacts, Artifacts]
) -> None:
    text = (ROOT / "topologies" / "pair.toml").read_text().replace('memory = "64KiB"', f'memory = "{memory}"')
    assert text.count(memory) == 2
    topo = topology.parse(text)
    nic, tor = programs
    rack = Rack.build(topo, nic=nic, tor=tor)
    assert len(rack.accelerators["acc2"].memory) == int(memory[:-3]) << 30
    window = rack.plan.tx_window("acc1", "acc2")
    data = bytes(range(256)) * 8
    rack.accelerators["acc1"].write("acc2", window.local_base, data)
    rack.run()
    assert demo.verify(rack, "acc1", "acc2", window.remote_base, data) == []
    assert len(rack.accelerators["acc2"].memory.pages) <= 3  # the window's pages and the mailbox's
