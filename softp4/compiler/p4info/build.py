"""Turn a `P4InfoModel` into a `p4.config.v1.P4Info` message, as p4c writes it.

What p4c does (control-plane/p4RuntimeSerializer.cpp, p4RuntimeSymbolTable.cpp,
p4RuntimeArchHandler.h), and this module reproduces:

- ids: `ids.py`; every `@id` of every kind is reserved before names are hashed.
  Hidden symbols (`P4InfoModel.hidden_symbols`) take ids and count for aliases.
- alias: the shortest dotted suffix of the name that no other symbol of any kind
  shares (p4c's P4SymbolSuffixSet); a controller header's alias is its name.
  The controller header's *type* name is the symbol that counts.
- match fields, action parameters, value-set fields and packet metadata are
  numbered 1..N in order; an `@id(n)` on one of them is honoured, and a field
  with an `@id` still uses up its position (p4c's FieldIdAllocator).  Keys of
  match kind `selector` use up a position but are not listed.
- annotations are printed as written, except `@name`, `@id`, `@brief` and
  `@description`; the last two fill `doc`.  Structured annotations (`@x[...]`)
  go to `structured_annotations`.
- action-argument and serializable-enum values are big-endian byte strings as
  wide as the type (not the shortest form): p4c writes `"\\000\\000\\000\\n"` for
  bit<32> 10 (testdata/p4_16_samples_outputs/default-action-arg-bmv2.p4.p4info.txtpb).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from finsy.proto import p4i
from finsy.proto.p4.config.v1 import p4types_pb2 as p4t

from softp4.compiler.p4info import model as m
from softp4.compiler.p4info.ids import IdAllocator, IdError, Kind

__all__ = ["P4InfoBuildError", "build_p4info", "field_ids", "suffix_aliases", "value_bytes"]

_HIDDEN_FROM_ANNOTATIONS = frozenset({"name", "id", "brief", "description"})

_MATCH_TYPES = {
    "exact": p4i.MatchField.EXACT,
    "lpm": p4i.MatchField.LPM,
    "ternary": p4i.MatchField.TERNARY,
    "range": p4i.MatchField.RANGE,
    "optional": p4i.MatchField.OPTIONAL,
}

_COUNTER_UNITS = {
    "unspecified": p4i.CounterSpec.UNSPECIFIED,
    "bytes": p4i.CounterSpec.BYTES,
    "packets": p4i.CounterSpec.PACKETS,
    "both": p4i.CounterSpec.BOTH,
}

_METER_UNITS = {
    "unspecified": p4i.MeterSpec.UNSPECIFIED,
    "bytes": p4i.MeterSpec.BYTES,
    "packets": p4i.MeterSpec.PACKETS,
}


class P4InfoBuildError(ValueError):
    """The model cannot be written as P4Info (bad `@id`, dangling reference, duplicate name)."""


# ---------------------------------------------------------------- small helpers


def value_bytes(value: int, width: int) -> bytes:
    """`value` as a big-endian two's-complement byte string of ceil(width / 8) bytes."""
    nbytes = max(1, (width + 7) // 8)
    return (value & ((1 << (nbytes * 8)) - 1)).to_bytes(nbytes, "big")


def suffix_aliases(names: Iterable[str]) -> dict[str, str]:
    """The shortest unique dotted suffix of every name, among all of them."""
    unique = list(dict.fromkeys(names))
    counts: dict[tuple[str, ...], int] = {}
    for name in unique:
        parts = name.split(".")
        for i in range(len(parts) - 1, -1, -1):
            key = tuple(parts[i:])
            counts[key] = counts.get(key, 0) + 1
    aliases: dict[str, str] = {}
    for name in unique:
        parts = name.split(".")
        needed = len(parts)
        for i in range(len(parts) - 1, -1, -1):
            if counts[tuple(parts[i:])] < 2:
                needed = len(parts) - i
                break
        aliases[name] = ".".join(parts[len(parts) - needed :])
    return aliases


def _explicit_id(annotations: Sequence[m.Annotation], what: str) -> int | None:
    for ann in annotations:
        if ann.name == "id" and not ann.structured:
            if len(ann.args) != 1 or not isinstance(ann.args[0], int) or isinstance(ann.args[0], bool):
                raise P4InfoBuildError(f"{what}: @id needs one integer argument, got {ann.text}")
            return ann.args[0]
    return None


def field_ids(annotation_lists: Sequence[Sequence[m.Annotation]], what: str) -> list[int]:
    """Ids for match fields / parameters / metadata: `@id` first, the rest by position."""
    explicit: list[int | None] = []
    taken: set[int] = set()
    for i, anns in enumerate(annotation_lists):
        ident = _explicit_id(anns, f"{what} #{i + 1}")
        if ident is not None:
            if ident <= 0:
                raise P4InfoBuildError(f"{what}: 0 is not a valid @id value")
            if ident in taken:
                raise P4InfoBuildError(f"{what}: @id {ident} is used multiple times")
            taken.add(ident)
        explicit.append(ident)
    out: list[int] = []
    index = 1
    for ident in explicit:
        if ident is not None:
            out.append(ident)
            index += 1
            continue
        while index in taken:
            index += 1
        taken.add(index)
        out.append(index)
    return out


# Annotations of an action profile that P4Info gives as fields, not annotations (as p4c).
_PROFILE_FIELDS = frozenset({"max_group_size", "selector_size_semantics", "max_member_weight"})


def _add_annotations(msg: Any, annotations: Sequence[m.Annotation], skip: Callable[[str], bool]) -> None:
    for ann in annotations:
        if ann.name in _HIDDEN_FROM_ANNOTATIONS or skip(ann.name):
            continue
        if ann.structured:
            sa = msg.structured_annotations.add()
            sa.name = ann.name
            if ann.kv:
                kvl = sa.kv_pair_list
                for key, value in ann.kv:
                    pair = kvl.kv_pairs.add()
                    pair.key = key
                    _set_expression(pair.value, value)
            elif ann.args:
                for value in ann.args:
                    _set_expression(sa.expression_list.expressions.add(), value)
        else:
            msg.annotations.append(ann.text)


def _set_expression(expr: Any, value: m.AnnotationValue) -> None:
    if isinstance(value, bool):
        expr.bool_value = value
    elif isinstance(value, int):
        expr.int64_value = value
    else:
        expr.string_value = value


def _add_doc(msg: Any, annotations: Sequence[m.Annotation]) -> None:
    for ann in annotations:
        if ann.name in ("brief", "description") and ann.args and isinstance(ann.args[0], str):
            setattr(msg.doc, ann.name, ann.args[0])


def _decorate(msg: Any, annotations: Sequence[m.Annotation], skip: Callable[[str], bool] | None = None) -> None:
    _add_annotations(msg, annotations, skip or (lambda _name: False))
    _add_doc(msg, annotations)


# ---------------------------------------------------------------- types


def _bitstring(spec: Any, t: m.BitsType | m.VarbitType) -> None:
    if isinstance(t, m.VarbitType):
        spec.varbit.max_bitwidth = t.max_width
    elif t.signed:
        spec.int.bitwidth = t.width
    else:
        spec.bit.bitwidth = t.width


def type_spec(spec: Any, t: m.TypeRef) -> None:
    """Fill a `P4DataTypeSpec` message from a model type."""
    if isinstance(t, m.BitsType | m.VarbitType):
        _bitstring(spec.bitstring, t)
    elif isinstance(t, m.BoolType):
        spec.bool.SetInParent()
    elif isinstance(t, m.ErrorType):
        spec.error.SetInParent()
    elif isinstance(t, m.NamedType):
        getattr(spec, t.kind).name = t.name
    elif isinstance(t, m.StackType):
        if t.element.kind == "header_union":
            spec.header_union_stack.header_union.name = t.element.name
            spec.header_union_stack.size = t.size
        else:
            spec.header_stack.header.name = t.element.name
            spec.header_stack.size = t.size
    else:
        spec.tuple.SetInParent()
        for member in t.members:
            type_spec(spec.tuple.members.add(), member)


def _type_info(msg: p4t.P4TypeInfo, info: m.TypeInfo) -> None:
    for name, sdef in info.structs.items():
        s = msg.structs[name]
        for mname, mtype in sdef.members:
            member = s.members.add()
            member.name = mname
            type_spec(member.type_spec, mtype)
        _add_annotations(s, sdef.annotations, lambda _n: False)
    for name, hdef in info.headers.items():
        h = msg.headers[name]
        for mname, btype in hdef.members:
            hm = h.members.add()
            hm.name = mname
            _bitstring(hm.type_spec, btype)
        _add_annotations(h, hdef.annotations, lambda _n: False)
    for name, udef in info.header_unions.items():
        u = msg.header_unions[name]
        for mname, hname in udef.members:
            um = u.members.add()
            um.name = mname
            um.header.name = hname
        _add_annotations(u, udef.annotations, lambda _n: False)
    for name, edef in info.enums.items():
        e = msg.enums[name]
        for member_name in edef.members:
            e.members.add().name = member_name
        _add_annotations(e, edef.annotations, lambda _n: False)
    for name, sedef in info.serializable_enums.items():
        se = msg.serializable_enums[name]
        se.underlying_type.bitwidth = sedef.width
        for member_name, value in sedef.members:
            sm = se.members.add()
            sm.name = member_name
            sm.value = value_bytes(value, sedef.width)
        _add_annotations(se, sedef.annotations, lambda _n: False)
    for name, ndef in info.new_types.items():
        nt = msg.new_types[name]
        if ndef.translation_uri is not None:
            nt.translated_type.uri = ndef.translation_uri
            if ndef.translation_bitwidth is None:
                nt.translated_type.sdn_string.SetInParent()
            else:
                nt.translated_type.sdn_bitwidth = ndef.translation_bitwidth
        elif ndef.original is not None:
            type_spec(nt.original_type, ndef.original)
        _add_annotations(nt, ndef.annotations, lambda _n: False)
    if info.errors is not None:
        msg.error.members.extend(info.errors)


# ---------------------------------------------------------------- the builder


class _Builder:
    def __init__(self, model: m.P4InfoModel) -> None:
        self.model = model
        self.ids = IdAllocator()
        self.aliases: dict[str, str] = {}

    # -- symbols

    def _symbols(self) -> list[tuple[Kind, str, Sequence[m.Annotation], str]]:
        """Every symbol: kind, the name that is hashed, annotations, a description for errors."""
        md = self.model
        out: list[tuple[Kind, str, Sequence[m.Annotation], str]] = []
        out += [(Kind.TABLE, t.name, t.annotations, f"table {t.name}") for t in md.tables]
        out += [(Kind.ACTION, a.name, a.annotations, f"action {a.name}") for a in md.actions]
        out += [(Kind.ACTION_PROFILE, a.name, a.annotations, f"action profile {a.name}") for a in md.action_profiles]
        out += [(Kind.COUNTER, c.name, c.annotations, f"counter {c.name}") for c in md.counters]
        out += [(Kind.DIRECT_COUNTER, c.name, c.annotations, f"direct counter {c.name}") for c in md.direct_counters]
        out += [(Kind.METER, x.name, x.annotations, f"meter {x.name}") for x in md.meters]
        out += [(Kind.DIRECT_METER, x.name, x.annotations, f"direct meter {x.name}") for x in md.direct_meters]
        out += [
            (Kind.CONTROLLER_HEADER, h.type_name, h.annotations, f"header {h.type_name}") for h in md.controller_headers
        ]
        out += [(Kind.VALUE_SET, v.name, v.annotations, f"value set {v.name}") for v in md.value_sets]
        out += [(Kind.REGISTER, r.name, r.annotations, f"register {r.name}") for r in md.registers]
        out += [(Kind.DIGEST, d.name, d.annotations, f"digest {d.name}") for d in md.digests]
        for sym in md.hidden_symbols:
            try:
                kind = Kind[sym.kind.upper()]
            except KeyError:
                raise P4InfoBuildError(f"unknown symbol kind '{sym.kind}' for {sym.name}") from None
            anns = [m.Annotation("id", f"@id({sym.explicit_id})", (sym.explicit_id,))] if sym.explicit_id else []
            out.append((kind, sym.name, anns, f"{sym.kind} {sym.name}"))
        return out

    def assign(self) -> None:
        symbols = self._symbols()
        seen: set[tuple[Kind, str]] = set()
        by_kind: dict[Kind, list[str]] = {}
        try:
            for kind, name, anns, what in symbols:
                if (kind, name) in seen:
                    continue
                seen.add((kind, name))
                by_kind.setdefault(kind, []).append(name)
                ident = _explicit_id(anns, what)
                if ident is not None:
                    self.ids.reserve(kind, name, ident)
            for kind in sorted(by_kind):
                self.ids.assign(kind, by_kind[kind])
        except IdError as err:
            raise P4InfoBuildError(str(err)) from None
        self.aliases = suffix_aliases(name for _kind, name, _anns, _what in symbols)

    def id_of(self, kind: Kind, name: str, user: str) -> int:
        try:
            return self.ids.id_of(kind, name)
        except KeyError:
            raise P4InfoBuildError(
                f"{user} refers to {kind.name.lower().replace('_', ' ')} '{name}', which is not in the P4Info"
            ) from None

    def preamble(
        self, msg: Any, kind: Kind, name: str, anns: Sequence[m.Annotation], skip: Callable[[str], bool] | None = None
    ) -> None:
        msg.id = self.ids.id_of(kind, name)
        msg.name = name
        msg.alias = self.aliases[name]
        _decorate(msg, anns, skip)

    # -- objects

    def table(self, out: p4i.Table, t: m.Table, actions: dict[str, m.Action]) -> None:
        self.preamble(out.preamble, Kind.TABLE, t.name, t.annotations)
        ids = field_ids([f.annotations for f in t.match_fields], f"table {t.name}: key")
        for ident, mf in zip(ids, t.match_fields, strict=True):
            if mf.match_type == "selector":
                continue
            f = out.match_fields.add()
            f.id = ident
            f.name = mf.name
            _decorate(f, mf.annotations)
            f.bitwidth = mf.bitwidth
            if mf.match_type in _MATCH_TYPES:
                f.match_type = _MATCH_TYPES[mf.match_type]
            else:
                f.other_match_type = mf.match_type
            if mf.type_name:
                f.type_name.name = mf.type_name
        for ref in t.action_refs:
            r = out.action_refs.add()
            r.id = self.id_of(Kind.ACTION, ref.action, f"table {t.name}")
            names = {a.name for a in ref.annotations}
            if "tableonly" in names and "defaultonly" in names:
                raise P4InfoBuildError(
                    f"table {t.name}: action '{ref.action}' is annotated both @tableonly and @defaultonly"
                )
            if "tableonly" in names:
                r.scope = p4i.ActionRef.TABLE_ONLY
            elif "defaultonly" in names:
                r.scope = p4i.ActionRef.DEFAULT_ONLY
            _add_annotations(r, ref.annotations, lambda _n: False)
        if t.const_default_action is not None:
            out.const_default_action_id = self.id_of(Kind.ACTION, t.const_default_action, f"table {t.name}")
        if t.initial_default_action is not None:
            call = t.initial_default_action
            ida = out.initial_default_action
            ida.action_id = self.id_of(Kind.ACTION, call.action, f"table {t.name}")
            action = actions.get(call.action)
            if action is None:
                raise P4InfoBuildError(f"table {t.name}: default action '{call.action}' is not in the P4Info")
            if len(call.args) > len(action.params):
                raise P4InfoBuildError(
                    f"table {t.name}: default action '{call.action}' takes {len(action.params)} "
                    f"arguments, given {len(call.args)}"
                )
            pids = field_ids([p.annotations for p in action.params], f"action {action.name}: parameter")
            for pid, param, value in zip(pids, action.params, call.args, strict=False):
                arg = ida.arguments.add()
                arg.param_id = pid
                arg.value = value_bytes(value, param.bitwidth or 0)
        if t.implementation is not None:
            out.implementation_id = self.id_of(Kind.ACTION_PROFILE, t.implementation, f"table {t.name}")
        for res in t.direct_resources:
            if self.ids.has(Kind.DIRECT_COUNTER, res):
                out.direct_resource_ids.append(self.ids.id_of(Kind.DIRECT_COUNTER, res))
            else:
                out.direct_resource_ids.append(self.id_of(Kind.DIRECT_METER, res, f"table {t.name}"))
        out.size = t.size
        if t.idle_timeout:
            out.idle_timeout_behavior = p4i.Table.NOTIFY_CONTROL
        out.is_const_table = t.is_const_table
        out.has_initial_entries = t.has_initial_entries

    def action(self, out: p4i.Action, a: m.Action) -> None:
        self.preamble(out.preamble, Kind.ACTION, a.name, a.annotations)
        ids = field_ids([p.annotations for p in a.params], f"action {a.name}: parameter")
        for ident, param in zip(ids, a.params, strict=True):
            p = out.params.add()
            p.id = ident
            p.name = param.name
            _decorate(p, param.annotations)
            if param.bitwidth is not None:
                p.bitwidth = param.bitwidth
            if param.type_name:
                p.type_name.name = param.type_name

    def value_set(self, out: p4i.ValueSet, v: m.ValueSet) -> None:
        self.preamble(out.preamble, Kind.VALUE_SET, v.name, v.annotations)
        ids = field_ids([f.annotations for f in v.match], f"value set {v.name}: field")
        for ident, mf in zip(ids, v.match, strict=True):
            f = out.match.add()
            f.id = ident
            if mf.name:
                f.name = mf.name
            f.bitwidth = mf.bitwidth
            if mf.match_type in _MATCH_TYPES:
                f.match_type = _MATCH_TYPES[mf.match_type]
            else:
                f.other_match_type = mf.match_type
            _decorate(f, mf.annotations, lambda n: n == "match")
        out.size = v.size

    def controller_header(self, out: p4i.ControllerPacketMetadata, h: m.ControllerHeader) -> None:
        out.preamble.id = self.ids.id_of(Kind.CONTROLLER_HEADER, h.type_name)
        out.preamble.name = h.name
        out.preamble.alias = h.name
        _decorate(out.preamble, h.annotations)
        ids = field_ids([f.annotations for f in h.metadata], f"header {h.type_name}: field")
        for ident, field in zip(ids, h.metadata, strict=True):
            md = out.metadata.add()
            md.id = ident
            md.name = field.name
            _add_annotations(md, field.annotations, lambda _n: False)
            md.bitwidth = field.bitwidth
            if field.type_name:
                md.type_name.name = field.type_name

    def build(self) -> p4i.P4Info:
        md = self.model
        self._check_duplicates()
        self.assign()
        info = p4i.P4Info()
        info.pkg_info.arch = md.arch
        for key, value in md.pkg_info.items():
            setattr(info.pkg_info, key, value)
        if md.platform_properties is not None:
            info.pkg_info.platform_properties.SetInParent()
            for key, number in md.platform_properties.items():
                setattr(info.pkg_info.platform_properties, key, number)
        _decorate(info.pkg_info, md.pkg_annotations, lambda n: n in ("pkginfo", "platform_property"))
        actions = {a.name: a for a in md.actions}
        for t in md.tables:
            self.table(info.tables.add(), t, actions)
        for a in md.actions:
            self.action(info.actions.add(), a)
        for ap in md.action_profiles:
            out = info.action_profiles.add()
            self.preamble(out.preamble, Kind.ACTION_PROFILE, ap.name, ap.annotations, _PROFILE_FIELDS.__contains__)
            for tname in ap.tables:
                out.table_ids.append(self.id_of(Kind.TABLE, tname, f"action profile {ap.name}"))
            out.with_selector = ap.with_selector
            out.size = ap.size
            out.max_group_size = ap.max_group_size
            if ap.size_semantics == "sum_of_weights":
                out.sum_of_weights.SetInParent()
            elif ap.size_semantics == "sum_of_members":
                out.sum_of_members.SetInParent()
                out.sum_of_members.max_member_weight = ap.max_member_weight
        for c in md.counters:
            oc = info.counters.add()
            self.preamble(oc.preamble, Kind.COUNTER, c.name, c.annotations)
            oc.spec.unit = _COUNTER_UNITS[c.unit]
            oc.size = c.size
            if c.index_type_name:
                oc.index_type_name.name = c.index_type_name
        for dc in md.direct_counters:
            odc = info.direct_counters.add()
            self.preamble(odc.preamble, Kind.DIRECT_COUNTER, dc.name, dc.annotations)
            odc.spec.unit = _COUNTER_UNITS[dc.unit]
            odc.direct_table_id = self.id_of(Kind.TABLE, dc.table, f"direct counter {dc.name}")
        for x in md.meters:
            om = info.meters.add()
            self.preamble(om.preamble, Kind.METER, x.name, x.annotations)
            om.spec.unit = _METER_UNITS[x.unit]
            om.size = x.size
            if x.index_type_name:
                om.index_type_name.name = x.index_type_name
        for dm in md.direct_meters:
            odm = info.direct_meters.add()
            self.preamble(odm.preamble, Kind.DIRECT_METER, dm.name, dm.annotations)
            odm.spec.unit = _METER_UNITS[dm.unit]
            odm.direct_table_id = self.id_of(Kind.TABLE, dm.table, f"direct meter {dm.name}")
        for h in md.controller_headers:
            self.controller_header(info.controller_packet_metadata.add(), h)
        for v in md.value_sets:
            self.value_set(info.value_sets.add(), v)
        for r in md.registers:
            orr = info.registers.add()
            self.preamble(orr.preamble, Kind.REGISTER, r.name, r.annotations)
            type_spec(orr.type_spec, r.type_spec)
            orr.size = r.size
            if r.index_type_name:
                orr.index_type_name.name = r.index_type_name
        for d in md.digests:
            od = info.digests.add()
            self.preamble(od.preamble, Kind.DIGEST, d.name, d.annotations)
            type_spec(od.type_spec, d.type_spec)
        if md.type_info_written:
            info.type_info.SetInParent()
        _type_info(info.type_info, md.type_info)
        return info

    def _check_duplicates(self) -> None:
        md = self.model
        groups: list[tuple[str, list[str]]] = [
            ("table", [t.name for t in md.tables]),
            ("action", [a.name for a in md.actions]),
            ("action profile", [a.name for a in md.action_profiles]),
            ("counter", [c.name for c in md.counters]),
            ("direct counter", [c.name for c in md.direct_counters]),
            ("meter", [x.name for x in md.meters]),
            ("direct meter", [x.name for x in md.direct_meters]),
            ("controller packet metadata", [h.name for h in md.controller_headers]),
            ("value set", [v.name for v in md.value_sets]),
            ("register", [r.name for r in md.registers]),
            ("digest", [d.name for d in md.digests]),
        ]
        for what, names in groups:
            seen: set[str] = set()
            for name in names:
                if not name:
                    raise P4InfoBuildError(f"a {what} has an empty name")
                if name in seen:
                    raise P4InfoBuildError(f"name '{name}' is used for multiple {what} objects in the P4Info")
                seen.add(name)


def build_p4info(model: m.P4InfoModel) -> p4i.P4Info:
    """The P4Info message for `model`; raises P4InfoBuildError naming the object at fault."""
    return _Builder(model).build()
