"""Registers, counters, meters, hash algorithms (bit-exact check values) and checksums."""

from __future__ import annotations

import pytest
from switch_programs import OP, C, F, Program, assign, extract, prim, state

from softp4.switch import InvalidArgument, NotFound, Switch
from softp4.switch.calculations import crc16, crc32, crc_ccitt, make_algorithm


def hash_program(algo: str, fields: list[tuple[str, int]], max_value: int = 1 << 32) -> Program:
    p = Program()
    p.header_type("h_t", [*fields, ("r", 64)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.j["calculations"] = [
        {"name": "calc", "id": 0, "algo": algo, "input": [F("h", name) for name, _ in fields]},
    ]
    p.action(
        "do_hash",
        [],
        [
            prim(
                "modify_field_with_hash_based_offset",
                F("h", "r"),
                C(0, 8),
                {"type": "calculation", "value": "calc"},
                C(max_value, 64),
            )
        ],
    )
    p.call("do_hash")
    return p


CHECK = b"123456789"


@pytest.mark.parametrize(
    ("algo", "want"),
    [
        ("crc32", 0xCBF43926),
        ("crc32_custom", 0xCBF43926),
        ("crc16", 0xBB3D),
        ("crc16_custom", 0xBB3D),
        ("crcCCITT", 0x29B1),
        ("csum16", 0xF62A),
        ("xor16", 0x3908),
        ("identity", 0x3132333435363738),
    ],
)
def test_hash_algorithms_check_values(algo: str, want: int) -> None:
    sw = Switch(hash_program(algo, [("d", 72)], max_value=1 << 64).build())
    out = sw.process(0, CHECK + bytes(8))
    assert int.from_bytes(out[0][1][9:], "big") == want


def test_hash_base_plus_modulo_and_bit_packing() -> None:
    # fields of 4 and 12 bits pack bit-contiguously into the two bytes 0x31 0x32
    sw = Switch(hash_program("crc16", [("a", 4), ("b", 12)], max_value=100).build())
    out = sw.process(0, b"12" + bytes(8))
    assert int.from_bytes(out[0][1][2:], "big") == crc16(b"12") % 100


def test_hash_inputs_pad_to_a_byte() -> None:
    # a single 4-bit field 0x3 is hashed as the byte 0x30
    p = hash_program("crc32", [("a", 4), ("pad", 4)])
    p.j["calculations"][0]["input"] = [F("h", "a")]
    sw = Switch(p.build())
    out = sw.process(0, b"\x3f" + bytes(8))
    assert int.from_bytes(out[0][1][1:], "big") == crc32(b"\x30")


def test_algorithm_functions_directly() -> None:
    assert crc_ccitt(CHECK) == 0x29B1
    assert make_algorithm("csum16")(bytes.fromhex("4500003c1c46400040060000ac100a63ac100a0c")) == 0xB1E6
    assert make_algorithm("csum16")(b"") == 0xFFFF
    assert make_algorithm("xor16")(b"\x01") == 0x0100


def checksum_program(verify: bool, update: bool) -> Program:
    p = Program()
    p.header_type("h_t", [("a", 16), ("b", 16), ("ck", 16), ("err", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.j["calculations"] = [{"name": "c", "id": 0, "algo": "csum16", "input": [F("h", "a"), F("h", "b")]}]
    p.j["checksums"] = [
        {
            "name": "ck",
            "id": 0,
            "target": ["h", "ck"],
            "type": "generic",
            "calculation": "c",
            "verify": verify,
            "update": update,
            "if_cond": None,
        }
    ]
    p.action("rep", [], [assign(F("h", "err"), F("standard_metadata", "checksum_error"))])
    p.call("rep")
    return p


def test_checksum_verify_sets_checksum_error() -> None:
    sw = Switch(checksum_program(verify=True, update=False).build())
    good = bytes.fromhex("12345678") + make_algorithm("csum16")(bytes.fromhex("12345678")).to_bytes(2, "big")
    assert sw.process(0, good + b"\x00") == [(0, good + b"\x00")]
    bad = good[:4] + b"\x00\x00"
    assert sw.process(0, bad + b"\x00") == [(0, bad + b"\x01")]


def test_checksum_update_in_deparser() -> None:
    sw = Switch(checksum_program(verify=False, update=True).build())
    out = sw.process(0, bytes.fromhex("12345678000000"))
    assert out == [(0, bytes.fromhex("12345678") + (0xFFFF - 0x1234 - 0x5678).to_bytes(2, "big") + b"\x00")]


def test_registers_read_write_and_api() -> None:
    p = Program()
    p.header_type("h_t", [("idx", 8), ("v", 16)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.j["register_arrays"] = [{"name": "reg", "id": 0, "size": 4, "bitwidth": 16}]
    reg = {"type": "register_array", "value": "reg"}
    p.action(
        "rw",
        [],
        [
            prim("register_read", F("h", "v"), reg, F("h", "idx")),
            prim("register_write", reg, F("h", "idx"), OP("+", F("h", "v"), C(1))),
        ],
    )
    p.call("rw")
    sw = Switch(p.build())
    sw.register_write("reg", 2, 0xFFFF)
    assert sw.process(0, bytes([2, 0, 0])) == [(0, bytes([2, 0xFF, 0xFF]))]
    assert sw.register_read("reg", 2) == 0  # 0xFFFF + 1 truncated to 16 bits
    assert sw.process(0, bytes([2, 0, 0])) == [(0, bytes([2, 0, 0]))]
    assert sw.register_read("reg", 2) == 1
    # out of range index in the data path: as in BMv2 the read leaves h.v unchanged, the write is ignored
    assert sw.process(0, bytes([9, 0x12, 0x34])) == [(0, bytes([9, 0x12, 0x34]))]
    with pytest.raises(InvalidArgument):
        sw.register_read("reg", 4)
    with pytest.raises(InvalidArgument):
        sw.register_write("reg", 0, 1 << 16)
    with pytest.raises(NotFound):
        sw.register_read("nope", 0)
    sw.register_reset("reg")
    assert sw.register_read("reg", 2) == 0


def test_indirect_counter() -> None:
    p = Program()
    p.header_type("h_t", [("idx", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.j["counter_arrays"] = [{"name": "ctr", "id": 0, "size": 4, "is_direct": False}]
    p.action("cnt", [], [prim("count", {"type": "counter_array", "value": "ctr"}, F("h", "idx"))])
    p.call("cnt")
    sw = Switch(p.build())
    sw.process(0, bytes([1]) + bytes(9))
    sw.process(0, bytes([1]))
    sw.process(0, bytes([3]))
    assert sw.counter_read("ctr", 1) == (11, 2)
    assert sw.counter_read("ctr", 3) == (1, 1)
    sw.counter_write("ctr", 1, 5, 6)
    assert sw.counter_read("ctr", 1) == (5, 6)
    sw.counter_reset("ctr")
    assert sw.counter_read("ctr", 1) == (0, 0)


def test_meter_colors() -> None:
    p = Program()
    p.header_type("h_t", [("idx", 8), ("color", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.j["meter_arrays"] = [{"name": "m", "id": 0, "is_direct": False, "size": 2, "rate_count": 2, "type": "packets"}]
    p.action(
        "meter", [], [prim("execute_meter", {"type": "meter_array", "value": "m"}, F("h", "idx"), F("h", "color"))]
    )
    p.call("meter")
    sw = Switch(p.build())
    # unconfigured: GREEN
    assert sw.process(0, bytes([0, 9])) == [(0, bytes([0, 0]))]
    sw.meter_set("m", 1, [(0.001, 1), (0.002, 2)])
    assert sw.meter_get("m", 1) == [(0.001, 1), (0.002, 2)]
    colors = [sw.process(0, bytes([1, 9]))[0][1][1] for _ in range(4)]
    assert colors == [0, 1, 2, 2]  # GREEN, YELLOW, RED, RED
    with pytest.raises(InvalidArgument):
        sw.meter_set("m", 0, [(2.0, 1), (1.0, 1)])


def test_checksum_over_a_varbit_field_uses_its_current_width() -> None:
    p = Program()
    p.header_type("h_t", [("words", 8), ("pad", 8), ("ck", 16)])
    p.header("h", "h_t")
    p.header_type("o_t", [("data", "*")], max_length=8)
    p.header("o", "o_t")
    length = OP("*", F("h", "words"), C(32, 4))
    p.states = [
        state("start", [extract("h"), {"op": "extract_VL", "parameters": [{"type": "regular", "value": "o"}, length]}])
    ]
    p.j["calculations"] = [
        {"name": "c", "id": 0, "algo": "csum16", "input": [F("h", "words"), F("h", "pad"), F("o", "data")]}
    ]
    p.j["checksums"] = [
        {
            "name": "ck",
            "id": 0,
            "target": ["h", "ck"],
            "type": "generic",
            "calculation": "c",
            "verify": False,
            "update": True,
            "if_cond": None,
        }
    ]
    sw = Switch(p.build())
    frame = bytes.fromhex("0100000011223344ffff")
    want = make_algorithm("csum16")(bytes.fromhex("010011223344"))
    assert sw.process(0, frame) == [(0, bytes.fromhex("0100") + want.to_bytes(2, "big") + frame[4:])]


def test_custom_crc_parameters() -> None:
    sw = Switch(hash_program("crc16_custom", [("d", 72)], max_value=1 << 64).build())
    assert int.from_bytes(sw.process(0, CHECK + bytes(8))[0][1][9:], "big") == 0xBB3D
    # CRC-16/CCITT-FALSE through the custom CRC
    sw.set_crc_parameters("calc", 0x1021, 0xFFFF, 0x0000, False, False)
    assert int.from_bytes(sw.process(0, CHECK + bytes(8))[0][1][9:], "big") == 0x29B1
    with pytest.raises(InvalidArgument):
        sw.set_crc_parameters("calc", 1 << 16, 0, 0, False, False)
    with pytest.raises(NotFound):
        sw.set_crc_parameters("nope", 1, 0, 0, False, False)


def test_huge_arrays_are_sparse() -> None:
    p = Program()
    p.header_type("h_t", [("k", 8)])
    p.header("h", "h_t")
    p.states = [state("start", [extract("h")])]
    p.j["register_arrays"] = [{"name": "reg", "id": 0, "size": 1 << 32, "bitwidth": 8}]
    p.j["counter_arrays"] = [{"name": "ctr", "id": 0, "size": 1 << 32, "is_direct": False}]
    p.j["meter_arrays"] = [
        {"name": "m", "id": 0, "is_direct": False, "size": 1 << 32, "rate_count": 2, "type": "bytes"}
    ]
    sw = Switch(p.build())
    sw.register_write("reg", (1 << 32) - 1, 7)
    assert sw.register_read("reg", (1 << 32) - 1) == 7
    assert sw.register_read("reg", 5) == 0
    assert sw.counter_read("ctr", 1 << 31) == (0, 0)
    assert sw.meter_get("m", 1 << 31) == []
