"""The accelerator's side of go-back-N, without a NIC."""

from __future__ import annotations

import pytest

from controller.protocol import constants as c
from controller.protocol.gobackn import GoBackNSender, decode_mailbox, rewind_tlp
from controller.protocol.stream import AckMsg
from controller.protocol.tlp import TlpError, mwr

REWIND = 0x1FFF_F000


def writes(n: int) -> list[bytes]:
    return [bytes(mwr(0x1000 + 4 * i, i.to_bytes(4, "big"))) for i in range(n)]


def test_ack_frees_what_it_covers() -> None:
    s = GoBackNSender(REWIND)
    for w in writes(5):
        s.issue(w)
    assert s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=3)) == []
    assert [k.seq for k in s.kept] == [3, 4]


def test_nack_rewinds_and_reissues_in_order() -> None:
    s = GoBackNSender(REWIND, first_seq=0xFFFE)
    ws = writes(4)
    for w in ws:
        s.issue(w)
    out = s.on_message(AckMsg(msg_type=c.MSG_NACK, seq=0xFFFF))
    assert out == [rewind_tlp(REWIND, 0xFFFF), *ws[1:]]
    assert [k.seq for k in s.kept] == [0xFFFF, 0, 1]
    assert s.next_seq == 2


def test_timeout_reissues_everything_kept() -> None:
    s = GoBackNSender(REWIND)
    ws = writes(2)
    for w in ws:
        s.issue(w)
    assert s.on_timeout() == [rewind_tlp(REWIND, 0), *ws]
    s.on_message(AckMsg(msg_type=c.MSG_ACK, seq=2))
    assert s.on_timeout() == []


def test_rewind_doorbell_bytes() -> None:
    assert rewind_tlp(REWIND, 0x1234).hex() == "40000001" "0000000f" "1ffff000" "34120000"


def test_decode_mailbox() -> None:
    tlp = mwr(0xF000_0008, bytes(AckMsg(msg_type=c.MSG_NACK, peer=2, stream_dst=0x8001, seq=9)))
    addr, msg = decode_mailbox(tlp)
    assert (addr, msg.msg_type, msg.peer, msg.stream_dst, msg.seq) == (0xF000_0008, c.MSG_NACK, 2, 0x8001, 9)
    with pytest.raises(TlpError, match="8 bytes"):
        decode_mailbox(mwr(0xF000_0000, bytes(4)))
    with pytest.raises(TlpError, match="type 1"):
        decode_mailbox(mwr(0xF000_0000, bytes(AckMsg(msg_type=c.MSG_DATA))))
