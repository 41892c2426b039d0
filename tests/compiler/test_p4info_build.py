"""P4InfoModel -> P4Info message, and the three file forms."""

from __future__ import annotations

from pathlib import Path

import pytest
from finsy.proto import p4i

from softp4.compiler.p4info import model as m
from softp4.compiler.p4info.build import (
    P4InfoBuildError,
    build_p4info,
    field_ids,
    suffix_aliases,
    value_bytes,
)
from softp4.compiler.p4info.serialize import (
    P4InfoFormatError,
    format_for,
    p4info_text,
    parse_p4info,
    read_p4info,
    write_p4info,
)


def jenkins(name: str) -> int:
    m32 = 2**32
    h = 0
    for ch in name.encode():
        h = (h + ch) % m32
        h = (h + h * 1024) % m32
        h ^= h // 64
    h = (h + h * 8) % m32
    h ^= h // 2048
    return (h + h * 32768) % m32


def rid(prefix: int, name: str) -> int:
    return prefix * 2**24 + jenkins(name) % 2**24


def ann(text: str, *args: m.AnnotationValue) -> m.Annotation:
    name = text[1:].split("(")[0].split("[")[0]
    return m.Annotation(name, text, args)


def router_model() -> m.P4InfoModel:
    """What a small IPv4 router (our own program) describes."""
    fwd = m.Action(
        "MyIngress.forward",
        [m.Param("port", 9), m.Param("dmac", 48, [ann('@brief("next hop")', "next hop")])],
    )
    drop = m.Action("MyIngress.drop")
    noaction = m.Action("NoAction", annotations=[ann('@noWarn("unused")', "unused")])
    lpm = m.Table(
        "MyIngress.ipv4_lpm",
        match_fields=[m.MatchField("hdr.ipv4.dstAddr", 32, "lpm")],
        action_refs=[
            m.ActionRef("MyIngress.forward"),
            m.ActionRef("MyIngress.drop", [ann("@defaultonly")]),
            m.ActionRef("NoAction", [ann("@tableonly")]),
        ],
        initial_default_action=m.ActionCall("MyIngress.drop"),
        size=4096,
        direct_resources=["MyIngress.lpm_hits"],
    )
    acl = m.Table(
        "MyEgress.acl",
        match_fields=[
            m.MatchField("hdr.ethernet.etherType", 16, "ternary", [ann("@id(7)", 7)]),
            m.MatchField("meta.port", 9, "exact"),
            m.MatchField("meta.flag", 1, "optional"),
        ],
        action_refs=[m.ActionRef("MyIngress.forward")],
        const_default_action="MyIngress.forward",
        initial_default_action=m.ActionCall("MyIngress.forward", [3, 0x0A0B0C0D0E0F]),
        is_const_table=True,
        has_initial_entries=True,
        annotations=[ann('@name("acl")', "acl"), ann("@my_note(1, 2)")],
    )
    return m.P4InfoModel(
        tables=[lpm, acl],
        actions=[noaction, fwd, drop],
        counters=[m.Counter("MyEgress.acl", "packets", 64)],
        direct_counters=[m.DirectCounter("MyIngress.lpm_hits", "both", "MyIngress.ipv4_lpm")],
        registers=[m.Register("MyIngress.last_seen", m.BitsType(48), 16)],
        digests=[m.Digest("learn_t", m.NamedType("struct", "learn_t"))],
        controller_headers=[
            m.ControllerHeader(
                "packet_in",
                "cpu_in_h",
                [m.PacketMetadata("ingress_port", 9), m.PacketMetadata("_pad", 7)],
                [ann('@controller_header("packet_in")', "packet_in")],
            )
        ],
        type_info=m.TypeInfo(
            structs={"learn_t": m.StructDef("learn_t", [("mac", m.BitsType(48)), ("port", m.BitsType(9))])}
        ),
    )


def test_router_tables() -> None:
    info = build_p4info(router_model())
    assert info.pkg_info.arch == "v1model"
    lpm, acl = info.tables
    assert (lpm.preamble.id, lpm.preamble.name, lpm.preamble.alias) == (
        rid(0x02, "MyIngress.ipv4_lpm"),
        "MyIngress.ipv4_lpm",
        "ipv4_lpm",
    )
    assert [(f.id, f.name, f.bitwidth, f.match_type) for f in lpm.match_fields] == [
        (1, "hdr.ipv4.dstAddr", 32, p4i.MatchField.LPM)
    ]
    assert [(r.id, r.scope, list(r.annotations)) for r in lpm.action_refs] == [
        (rid(0x01, "MyIngress.forward"), p4i.ActionRef.TABLE_AND_DEFAULT, []),
        (rid(0x01, "MyIngress.drop"), p4i.ActionRef.DEFAULT_ONLY, ["@defaultonly"]),
        (0x01445B37, p4i.ActionRef.TABLE_ONLY, ["@tableonly"]),
    ]
    assert lpm.const_default_action_id == 0
    assert lpm.initial_default_action.action_id == rid(0x01, "MyIngress.drop")
    assert list(lpm.initial_default_action.arguments) == []
    assert list(lpm.direct_resource_ids) == [rid(0x13, "MyIngress.lpm_hits")]
    assert lpm.size == 4096 and not lpm.is_const_table
    # acl: a name that is also a counter's name: one alias symbol, two ids
    assert acl.preamble.alias == "acl"
    assert list(acl.preamble.annotations) == ["@my_note(1, 2)"]
    assert [f.id for f in acl.match_fields] == [7, 2, 3]
    assert acl.match_fields[2].match_type == p4i.MatchField.OPTIONAL
    assert acl.const_default_action_id == rid(0x01, "MyIngress.forward")
    args = [(a.param_id, a.value) for a in acl.initial_default_action.arguments]
    assert args == [(1, b"\x00\x03"), (2, b"\x0a\x0b\x0c\x0d\x0e\x0f")]
    assert acl.is_const_table and acl.has_initial_entries


def test_router_other_objects() -> None:
    info = build_p4info(router_model())
    assert [a.preamble.name for a in info.actions] == ["NoAction", "MyIngress.forward", "MyIngress.drop"]
    noaction, fwd, _drop = info.actions
    assert list(noaction.preamble.annotations) == ['@noWarn("unused")']
    assert [(p.id, p.name, p.bitwidth) for p in fwd.params] == [(1, "port", 9), (2, "dmac", 48)]
    assert fwd.params[1].doc.brief == "next hop" and list(fwd.params[1].annotations) == []
    (counter,) = info.counters
    assert (counter.preamble.id, counter.preamble.alias) == (rid(0x12, "MyEgress.acl"), "acl")
    assert counter.spec.unit == p4i.CounterSpec.PACKETS and counter.size == 64
    (dc,) = info.direct_counters
    assert dc.spec.unit == p4i.CounterSpec.BOTH and dc.direct_table_id == rid(0x02, "MyIngress.ipv4_lpm")
    (reg,) = info.registers
    assert reg.type_spec.bitstring.bit.bitwidth == 48 and reg.size == 16
    (dig,) = info.digests
    assert (dig.preamble.id, dig.type_spec.struct.name) == (rid(0x17, "learn_t"), "learn_t")
    assert [m_.name for m_ in info.type_info.structs["learn_t"].members] == ["mac", "port"]
    (cpm,) = info.controller_packet_metadata
    assert (cpm.preamble.id, cpm.preamble.name, cpm.preamble.alias) == (
        rid(0x04, "cpu_in_h"),
        "packet_in",
        "packet_in",
    )
    assert list(cpm.preamble.annotations) == ['@controller_header("packet_in")']
    assert [(x.id, x.name, x.bitwidth) for x in cpm.metadata] == [(1, "ingress_port", 9), (2, "_pad", 7)]


def test_suffix_aliases() -> None:
    names = ["a.b.c", "b.c", "a.d.c", "x.y", "y.z", "NoAction", "c1.t", "c2.t", "c1.c2.u"]
    assert suffix_aliases(names) == {
        "a.b.c": "a.b.c",
        "b.c": "b.c",
        "a.d.c": "d.c",
        "x.y": "y",
        "y.z": "z",
        "NoAction": "NoAction",
        "c1.t": "c1.t",
        "c2.t": "c2.t",
        "c1.c2.u": "u",
    }
    # a name that is a suffix of another keeps all its components
    assert suffix_aliases(["t", "c.t"]) == {"t": "t", "c.t": "c.t"}


def test_field_ids_follow_p4c_allocation() -> None:
    no = ()
    assert field_ids([no, no, no], "k") == [1, 2, 3]
    # an @id field still uses up its own position
    assert field_ids([no, (ann("@id(1)", 1),), no], "k") == [2, 1, 3]
    # ... and the position counter moves past it, so position 1 stays free (as in p4c)
    assert field_ids([(ann("@id(2)", 2),), no, no], "k") == [2, 3, 4]
    with pytest.raises(P4InfoBuildError, match="used multiple times"):
        field_ids([(ann("@id(2)", 2),), (ann("@id(2)", 2),)], "k")
    with pytest.raises(P4InfoBuildError, match="not a valid @id"):
        field_ids([(ann("@id(0)", 0),)], "k")


def test_selector_key_takes_a_position_but_is_not_listed() -> None:
    t = m.Table(
        "c.t",
        match_fields=[m.MatchField("meta.h", 16, "selector"), m.MatchField("meta.k", 8, "exact")],
        implementation="c.ap",
    )
    model = m.P4InfoModel(tables=[t], action_profiles=[m.ActionProfile("c.ap", ["c.t"], True, 1024, 0)])
    info = build_p4info(model)
    assert [(f.id, f.name) for f in info.tables[0].match_fields] == [(2, "meta.k")]
    assert info.tables[0].implementation_id == rid(0x11, "c.ap")
    assert info.action_profiles[0].with_selector and list(info.action_profiles[0].table_ids) == [rid(0x02, "c.t")]


def test_explicit_ids_and_hidden_symbols() -> None:
    model = m.P4InfoModel(
        tables=[m.Table("c.t", annotations=[ann("@id(0x10)", 0x10)])],
        actions=[m.Action("c.a", annotations=[ann("@id(0x01000020)", 0x01000020)])],
        hidden_symbols=[m.Symbol("table", "d.t")],
    )
    info = build_p4info(model)
    assert info.tables[0].preamble.id == 0x02000010
    assert info.tables[0].preamble.alias == "c.t"  # d.t is hidden but shares the suffix
    assert info.actions[0].preamble.id == 0x01000020
    with pytest.raises(P4InfoBuildError, match="wrong 8-bit prefix"):
        build_p4info(m.P4InfoModel(tables=[m.Table("t", annotations=[ann("@id(0x01000001)", 0x01000001)])]))


def test_dangling_references_and_duplicates_are_named() -> None:
    t = m.Table("c.t", action_refs=[m.ActionRef("c.missing")])
    with pytest.raises(P4InfoBuildError, match=r"table c.t refers to action 'c.missing'"):
        build_p4info(m.P4InfoModel(tables=[t]))
    with pytest.raises(P4InfoBuildError, match=r"'c\.a' is used for multiple action"):
        build_p4info(m.P4InfoModel(actions=[m.Action("c.a"), m.Action("c.a")]))


def test_structured_annotations_and_docs() -> None:
    structured = m.Annotation("sa", '@sa[k=1, j="s"]', structured=True, kv=(("k", 1), ("j", "s")))
    listed = m.Annotation("sl", "@sl[1, true]", args=(1, True), structured=True)
    desc = ann('@description("long")', "long")
    info = build_p4info(m.P4InfoModel(actions=[m.Action("a", annotations=[structured, listed, desc])]))
    pre = info.actions[0].preamble
    assert list(pre.annotations) == []
    assert pre.doc.description == "long" and pre.doc.brief == ""
    sa, sl = pre.structured_annotations
    assert sa.name == "sa" and [(p.key, p.value.WhichOneof("value")) for p in sa.kv_pair_list.kv_pairs] == [
        ("k", "int64_value"),
        ("j", "string_value"),
    ]
    assert [e.WhichOneof("value") for e in sl.expression_list.expressions] == ["int64_value", "bool_value"]


def test_type_info_kinds() -> None:
    ti = m.TypeInfo(
        headers={
            "h_t": m.HeaderDef("h_t", [("a", m.BitsType(4)), ("b", m.BitsType(4, True)), ("v", m.VarbitType(32))])
        },
        header_unions={"u_t": m.HeaderUnionDef("u_t", [("h", "h_t")])},
        enums={"E": m.EnumDef("E", ["A", "B"])},
        serializable_enums={"S": m.SerEnumDef("S", 12, [("X", 1), ("Y", 0xABC)])},
        new_types={
            "port_t": m.NewTypeDef("port_t", translation_uri="p4.org/port", translation_bitwidth=32),
            "name_t": m.NewTypeDef("name_t", translation_uri="p4.org/name"),
            "id_t": m.NewTypeDef("id_t", original=m.BitsType(16)),
        },
        errors=["NoError", "PacketTooShort"],
    )
    reg = m.Register("r", m.TupleType((m.NamedType("header", "h_t"), m.StackType(m.NamedType("header", "h_t"), 3))), 1)
    info = build_p4info(m.P4InfoModel(registers=[reg], type_info=ti))
    t = info.type_info
    assert [x.type_spec.WhichOneof("type_spec") for x in t.headers["h_t"].members] == ["bit", "int", "varbit"]
    assert t.header_unions["u_t"].members[0].header.name == "h_t"
    assert [x.name for x in t.enums["E"].members] == ["A", "B"]
    assert [(x.name, x.value) for x in t.serializable_enums["S"].members] == [
        ("X", b"\x00\x01"),
        ("Y", b"\x0a\xbc"),
    ]
    assert t.new_types["port_t"].translated_type.sdn_bitwidth == 32
    assert t.new_types["name_t"].translated_type.HasField("sdn_string")
    assert t.new_types["id_t"].original_type.bitstring.bit.bitwidth == 16
    assert list(t.error.members) == ["NoError", "PacketTooShort"]
    members = info.registers[0].type_spec.tuple.members
    assert members[0].header.name == "h_t" and members[1].header_stack.size == 3


def test_value_bytes_are_as_wide_as_the_type() -> None:
    assert value_bytes(10, 32) == b"\x00\x00\x00\n"
    assert value_bytes(1, 1) == b"\x01"
    assert value_bytes(-1, 12) == b"\xff\xff"
    assert value_bytes(0, 0) == b"\x00"


def test_empty_model_has_pkg_info_and_type_info_only_when_written() -> None:
    info = build_p4info(m.P4InfoModel())
    assert info.HasField("pkg_info") and not info.HasField("type_info")
    assert p4info_text(info).endswith('pkg_info {\n  arch: "v1model"\n}\n')
    info = build_p4info(m.P4InfoModel(type_info_written=True))
    assert info.HasField("pkg_info") and info.HasField("type_info")
    assert p4info_text(info).endswith('pkg_info {\n  arch: "v1model"\n}\ntype_info {\n}\n')


def test_three_forms_round_trip(tmp_path: Path) -> None:
    info = build_p4info(router_model())
    for suffix in (".txt", ".txtpb", ".bin", ".pb", ".json"):
        path = tmp_path / f"p{suffix}"
        write_p4info(info, path)
        assert read_p4info(path) == info
    text = (tmp_path / "p.txtpb").read_text()
    assert text.startswith("# proto-file: p4/config/v1/p4info.proto\n# proto-message: p4.config.v1.P4Info\n\n")
    assert 'value: "\\000\\003"' in text
    assert '"constDefaultActionId"' in (tmp_path / "p.json").read_text()


def test_format_errors(tmp_path: Path) -> None:
    with pytest.raises(P4InfoFormatError, match=r"suffix '\.yaml'"):
        format_for("x.yaml")
    with pytest.raises(P4InfoFormatError, match="text form"):
        parse_p4info("tables { bogus: 1 }", "text")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(P4InfoFormatError, match=r"bad\.json"):
        read_p4info(bad)


def test_differences_name_the_field() -> None:
    from softp4.compiler.p4info.compare import p4info_differences

    expected = build_p4info(router_model())
    assert p4info_differences(expected, build_p4info(router_model())) == []
    changed = router_model()
    changed.tables[0].match_fields[0].name = "hdr.ipv4.srcAddr"
    changed.actions = [changed.actions[1], changed.actions[0], changed.actions[2]]
    changed.registers = []
    diffs = p4info_differences(expected, build_p4info(changed))
    assert "tables[MyIngress.ipv4_lpm].match_fields[0].name: 'hdr.ipv4.dstAddr' != 'hdr.ipv4.srcAddr'" in diffs
    assert "actions: order ['NoAction', 'MyIngress.forward', 'MyIngress.drop'] != " in " ".join(diffs)
    assert "registers[MyIngress.last_seen]: missing" in diffs
