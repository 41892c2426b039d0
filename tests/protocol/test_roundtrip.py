"""Random headers and writes: build, dissect, and get the same fields and bytes back."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.l2 import Ether
from scapy.packet import Raw

from controller.protocol.stream import JetStream
from controller.protocol.tlp import TLP, mwr, mwr_address, mwr_bytes

u16 = st.integers(0, 0xFFFF)


@settings(max_examples=200, deadline=None)
@given(msg_type=st.integers(0, 15), flags=st.integers(0, 255), src=u16, dst=u16, window=u16, seq=u16,
       stream_dst=u16)
def test_stream_header_roundtrip(msg_type: int, flags: int, src: int, dst: int, window: int, seq: int,
                                 stream_dst: int) -> None:
    hdr = JetStream(msg_type=msg_type, flags=flags, src=src, dst=dst, window=window, seq=seq, stream_dst=stream_dst)
    raw = bytes(Ether() / hdr)
    assert len(raw) == 14 + 12
    back = Ether(raw)[JetStream]
    assert (back.msg_type, int(back.flags), back.src, back.dst, back.window, back.seq, back.stream_dst) == (
        msg_type, flags, src, dst, window, seq, stream_dst)


@settings(max_examples=200, deadline=None)
@given(address=st.integers(0, (1 << 64) - 4097), data=st.binary(min_size=1, max_size=4093),
       requester=u16, tag=st.integers(0, 255), tc=st.integers(0, 7), attr=st.integers(0, 3))
def test_mwr_writes_exactly_its_bytes(address: int, data: bytes, requester: int, tag: int, tc: int,
                                      attr: int) -> None:
    tlp = mwr(address, data, requester_id=requester, tag=tag, tc=tc, attr=attr)
    raw = bytes(tlp)
    assert mwr_bytes(raw) == {address + i: b for i, b in enumerate(data)}
    assert mwr_address(raw) == address & ~3
    back = TLP(raw)
    assert (back.requester_id, back.tag, back.tc, back.attr) == (requester, tag, tc, attr)
    assert len(back[Raw].load) % 4 == 0
    assert (raw[0] >> 5) == (2 if address < 1 << 32 else 3)
