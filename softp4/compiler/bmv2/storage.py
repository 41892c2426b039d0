"""Where the program's data lives in the BMv2 JSON: header types, instances, scalars.

`Storage` allocates a `Value` for each piece of data: headers become header
instances, stacks header stacks, unions header unions, scalars (bit, int,
bool, error, enum) fields of the metadata instance `scalars`, and structs
are flattened into their members.  `standard_metadata` is the instance of
the same name, as simple_switch expects.
"""

from __future__ import annotations

from typing import Any

from softp4.compiler import ast
from softp4.compiler import types as t
from softp4.compiler.bmv2.values import Field, Header, Stack, Struct, Union, Value
from softp4.compiler.errors import CompileError, SourceLocation

SCALARS = "scalars"
SCALARS_TYPE = "scalars_0"
STANDARD_METADATA = "standard_metadata"


def storage_width(ty: t.Type, loc: SourceLocation | None = None) -> int:
    """Width in bits of a scalar kept in a JSON field."""
    if isinstance(ty, t.BitsType):
        return ty.width
    if isinstance(ty, t.BoolType):
        return 1
    if isinstance(ty, t.ErrorType):
        return 32
    if isinstance(ty, t.EnumType):
        return ty.underlying.width if ty.underlying is not None else 32
    if isinstance(ty, t.NewType):
        return storage_width(ty.base, loc)
    if isinstance(ty, t.MatchKindType):
        return 32
    raise CompileError(f"a value of type {ty} cannot be stored by the BMv2 back end", loc)


def is_scalar(ty: t.Type) -> bool:
    return isinstance(ty, t.BitsType | t.BoolType | t.ErrorType | t.EnumType | t.NewType | t.MatchKindType)


def flat_field_types(ty: t.StructLikeType, prefix: str = "") -> list[tuple[str, t.Type]]:
    """A header's fields with structs inside it flattened (`row.alt.valid` -> `row_alt_valid`)."""
    out: list[tuple[str, t.Type]] = []
    for fname, fty in ty.fields:
        if isinstance(fty, t.StructLikeType) and fty.is_struct:
            out.extend(flat_field_types(fty, f"{prefix}{fname}_"))
        else:
            out.append((prefix + fname, fty))
    return out


def _header_member(instance: str, name: str, ty: t.Type) -> Value:
    if isinstance(ty, t.StructLikeType) and ty.is_struct:
        st = Struct(ty)
        for fname, fty in ty.fields:
            st.fields[fname] = _header_member(instance, f"{name}_{fname}", fty)
        return st
    return Field(instance, name, ty)


def flat_fields(v: Value) -> list[Field]:
    """The scalar fields of a header or struct value, in order."""
    if isinstance(v, Field):
        return [v]
    if isinstance(v, Header | Struct):
        out: list[Field] = []
        for sub in v.fields.values():
            out.extend(flat_fields(sub))
        return out
    return []


def is_signed(ty: t.Type) -> bool:
    bits = t.underlying_bits(ty)
    return bits is not None and bits.signed


class Storage:
    """The header types and instances of the JSON under construction."""

    def __init__(self) -> None:
        self.header_types: dict[str, dict[str, Any]] = {}
        self._type_of: dict[int, str] = {}  # id(StructLikeType) -> header type name
        self._varbit_types: dict[int, str] = {}  # max width -> header type of a varbit variable
        self.headers: list[dict[str, Any]] = []
        self.header_stacks: list[dict[str, Any]] = []
        self.header_union_types: dict[str, dict[str, Any]] = {}
        self.header_unions: list[dict[str, Any]] = []
        self.header_union_stacks: list[dict[str, Any]] = []
        self.scalar_fields: list[list[Any]] = []
        self._scalar_names: set[str] = set()
        self._instance_names: set[str] = set()
        self.field_aliases: list[list[Any]] = []
        self.header_types[SCALARS_TYPE] = {"name": SCALARS_TYPE, "id": 0, "fields": self.scalar_fields}
        self._add_instance(SCALARS, SCALARS_TYPE, metadata=True)

    # ------------------------------------------------------------ names

    def unique_instance(self, base: str) -> str:
        name = base
        n = 0
        while name in self._instance_names:
            name = f"{base}_{n}"
            n += 1
        self._instance_names.add(name)
        return name

    def unique_scalar(self, base: str) -> str:
        name = base
        n = 0
        while name in self._scalar_names:
            name = f"{base}_{n}"
            n += 1
        self._scalar_names.add(name)
        return name

    # ------------------------------------------------------------ types

    def header_type(self, ty: t.StructLikeType, name: str | None = None, pad: bool = False) -> str:
        """The JSON header type of a header (or metadata struct) type."""
        known = self._type_of.get(id(ty))
        if known is not None:
            return known
        base = name or ty.name
        tname = base
        n = 0
        while tname in self.header_types:
            tname = f"{base}_{n}"
            n += 1
        fields: list[list[Any]] = []
        total = 0
        max_bits = 0
        varbit = False
        for fname, fty in flat_field_types(ty):
            if isinstance(fty, t.VarbitType):
                fields.append([fname, "*"])
                max_bits += fty.max_width
                varbit = True
                continue
            loc = ty.decl.loc if ty.decl is not None else None
            w = storage_width(fty, loc)
            fields.append([fname, w, is_signed(fty)])
            total += w
            max_bits += w
        if pad and total % 8:
            fields.append(["_padding", 8 - total % 8, False])
        entry: dict[str, Any] = {"name": tname, "id": len(self.header_types), "fields": fields}
        if varbit:
            entry["max_length"] = (max_bits + 7) // 8
        self.header_types[tname] = entry
        self._type_of[id(ty)] = tname
        return tname

    def _add_instance(self, name: str, type_name: str, metadata: bool) -> None:
        self._instance_names.add(name)
        self.headers.append(
            {"name": name, "id": len(self.headers), "header_type": type_name, "metadata": metadata, "pi_omit": True}
        )

    # ------------------------------------------------------------ allocation

    def scalar(self, base: str, ty: t.Type, loc: SourceLocation | None = None) -> Field:
        name = self.unique_scalar(base)
        self.scalar_fields.append([name, storage_width(ty, loc), is_signed(ty)])
        return Field(SCALARS, name, ty)

    def header(self, base: str, ty: t.StructLikeType) -> Header:
        name = self.unique_instance(base)
        tname = self.header_type(ty)
        self._add_instance(name, tname, metadata=False)
        h = Header(name, ty)
        for fname, fty in ty.fields:
            h.fields[fname] = _header_member(name, fname, fty)
        return h

    def union(self, base: str, ty: t.StructLikeType) -> Union:
        name = self.unique_instance(base)
        utype = self.union_type(ty)
        u = Union(name, ty)
        ids = []
        for mname, mty in ty.fields:
            assert isinstance(mty, t.StructLikeType)
            h = self.header(f"{name}.{mname}", mty)
            u.members[mname] = h
            ids.append(self._header_id(h.instance))
        self.header_unions.append({"name": name, "id": len(self.header_unions), "union_type": utype, "header_ids": ids})
        return u

    def union_type(self, ty: t.StructLikeType) -> str:
        if ty.name not in self.header_union_types:
            members = []
            for mname, mty in ty.fields:
                assert isinstance(mty, t.StructLikeType)
                members.append([mname, self.header_type(mty)])
            self.header_union_types[ty.name] = {
                "name": ty.name,
                "id": len(self.header_union_types),
                "headers": members,
            }
        return ty.name

    def _header_id(self, name: str) -> int:
        for h in self.headers:
            if h["name"] == name:
                return int(h["id"])
        raise KeyError(name)

    def stack(self, base: str, ty: t.StackType, loc: SourceLocation | None) -> Stack:
        name = self.unique_instance(base)
        elem = ty.element
        if not isinstance(elem, t.StructLikeType) or elem.kind not in ("header", "header_union"):
            raise CompileError(f"stack of {elem} is not supported by the BMv2 back end", loc)
        st = Stack(name, ty, is_union=elem.is_union)
        for i in range(ty.size):
            if elem.is_union:
                st.elements.append(self.union(f"{name}[{i}]", elem))
            else:
                st.elements.append(self.header(f"{name}[{i}]", elem))
        if elem.is_union:
            self.header_union_stacks.append(
                {
                    "name": name,
                    "id": len(self.header_union_stacks),
                    "union_type": self.union_type(elem),
                    "header_union_ids": [
                        next(u["id"] for u in self.header_unions if u["name"] == e.name)  # type: ignore[union-attr]
                        for e in st.elements
                    ],
                }
            )
        else:
            self.header_stacks.append(
                {
                    "name": name,
                    "id": len(self.header_stacks),
                    "header_type": self.header_type(elem),
                    "size": ty.size,
                    "header_ids": [self._header_id(e.instance) for e in st.elements],  # type: ignore[union-attr]
                }
            )
        return st

    def alloc(self, base: str, ty: t.Type, loc: SourceLocation | None = None) -> Value:
        """Storage for a variable/parameter of type `ty` named after `base`."""
        if isinstance(ty, t.StructLikeType):
            if ty.is_header:
                return self.header(base, ty)
            if ty.is_union:
                return self.union(base, ty)
            st = Struct(ty)
            for fname, fty in ty.fields:
                st.fields[fname] = self.alloc(f"{base}.{fname}", fty, loc)
            return st
        if isinstance(ty, t.StackType):
            return self.stack(base, ty, loc)
        if isinstance(ty, t.TupleType):
            tup = Struct(ty)
            for i, ety in enumerate(ty.elements):
                tup.fields[f"f{i}"] = self.alloc(f"{base}.f{i}", ety, loc)
            return tup
        if isinstance(ty, t.VarbitType):
            # one metadata header instance per varbit variable, its one field `field` (as p4c:
            # a JSON header holds at most one varbit field)
            holder = t.StructLikeType("header", f"$varbit{ty.max_width}", [("field", ty)])
            name = self.unique_instance(base)
            tname = self._varbit_types.get(ty.max_width)
            if tname is None:
                tname = self._varbit_types[ty.max_width] = self.header_type(holder)
            self._add_instance(name, tname, metadata=True)
            return Field(name, "field", ty)
        return self.scalar(base, ty, loc)

    def standard_metadata(self, ty: t.StructLikeType) -> Struct:
        """The `standard_metadata` instance (v1model's intrinsic metadata)."""
        tname = self.header_type(ty, STANDARD_METADATA, pad=True)
        self._add_instance(STANDARD_METADATA, tname, metadata=True)
        st = Struct(ty)
        decl = ty.decl
        for fname, fty in ty.fields:
            st.fields[fname] = Field(STANDARD_METADATA, fname, fty)
            if decl is not None:
                f = decl.field_named(fname)
                alias = ast.find_annotation(f.annotations, "alias") if f is not None else None
                text = alias.string_arg() if alias is not None else None
                if text:
                    self.field_aliases.append([text, [STANDARD_METADATA, fname]])
        return st

    def finish(self) -> None:
        """Pad the scalars to whole bytes, as p4c does."""
        total = sum(int(f[1]) for f in self.scalar_fields)
        if total % 8:
            self.scalar_fields.append([self.unique_scalar("_padding_0"), 8 - total % 8, False])
