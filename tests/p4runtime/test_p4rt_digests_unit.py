"""The digest engine without a network: sample shapes, batching, acks."""

from __future__ import annotations

from collections.abc import Callable

from finsy.proto import p4d, p4i, p4r, p4t

from softp4.switch.p4runtime.digests import DigestEngine
from softp4.switch.p4runtime.translate import P4InfoIndex

TUPLE_ID, BITS_ID = 0x17000001, 0x17000002


def _index() -> P4InfoIndex:
    p4info = p4i.P4Info()
    pair = p4info.digests.add()
    pair.preamble.id, pair.preamble.name = TUPLE_ID, "pair_t"
    for width in (8, 12):
        pair.type_spec.tuple.members.add().bitstring.bit.bitwidth = width
    bits = p4info.digests.add()
    bits.preamble.id, bits.preamble.name = BITS_ID, "bits_t"
    bits.type_spec.bitstring.bit.CopyFrom(p4t.P4BitTypeSpec(bitwidth=16))
    return P4InfoIndex(p4info)


def _collector(sent: list[p4r.StreamMessageResponse]) -> Callable[[p4r.StreamMessageResponse], bool]:
    def send(message: p4r.StreamMessageResponse) -> bool:
        sent.append(message)
        return True

    return send


def test_tuple_and_bitstring_samples() -> None:
    sent: list[p4r.StreamMessageResponse] = []
    engine = DigestEngine(_index(), _collector(sent))
    try:
        config = p4r.DigestEntry.Config(max_timeout_ns=0, max_list_size=1, ack_timeout_ns=0)
        engine.write(p4r.Update.INSERT, p4r.DigestEntry(digest_id=TUPLE_ID, config=config))
        engine.write(p4r.Update.INSERT, p4r.DigestEntry(digest_id=BITS_ID, config=config))
        engine.on_digest("pair_t", [(1, 0x100)])
        engine.on_digest("bits_t", [(0x0203,)])
        engine.on_digest("unknown_t", [(1,)])  # a learn list without a P4Info digest is ignored
    finally:
        engine.stop()
    assert [m.digest.digest_id for m in sent] == [TUPLE_ID, BITS_ID]
    assert list(sent[0].digest.data) == [
        p4d.P4Data(tuple=p4d.P4StructLike(members=[p4d.P4Data(bitstring=b"\x01"), p4d.P4Data(bitstring=b"\x01\x00")]))
    ]
    assert list(sent[1].digest.data) == [p4d.P4Data(bitstring=b"\x02\x03")]


def test_deduplication_until_ack_and_list_ids() -> None:
    sent: list[p4r.StreamMessageResponse] = []
    engine = DigestEngine(_index(), _collector(sent))
    try:
        config = p4r.DigestEntry.Config(max_timeout_ns=0, max_list_size=2, ack_timeout_ns=10**12)
        engine.write(p4r.Update.INSERT, p4r.DigestEntry(digest_id=BITS_ID, config=config))
        engine.on_digest("bits_t", [(1,), (1,), (2,)])  # one list of two distinct samples
        engine.on_digest("bits_t", [(1,), (2,)])  # held back: not acked yet
        first = sent[0].digest
        engine.ack(p4r.DigestListAck(digest_id=BITS_ID, list_id=first.list_id))
        engine.on_digest("bits_t", [(2,), (1,)])
    finally:
        engine.stop()
    assert len(sent) == 2
    assert [d.bitstring for d in first.data] == [b"\x01", b"\x02"]
    assert [d.bitstring for d in sent[1].digest.data] == [b"\x02", b"\x01"]
    assert sent[1].digest.list_id == first.list_id + 1
