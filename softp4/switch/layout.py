"""Build the PHV layout (headers, stacks, unions, template) from BMv2 JSON."""

from __future__ import annotations

from typing import Any

from softp4.switch.errors import ConfigError
from softp4.switch.packet import (
    PHV,
    FieldLayout,
    HeaderLayout,
    StackLayout,
    UnionLayout,
    make_emit,
    make_extract,
    make_varbit_emit,
)


def _req(obj: Any, key: str, what: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ConfigError(f"{what}: missing '{key}'")
    return obj[key]


class Layout:
    """Every header, stack and union of a program, with their PHV slots."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        self.headers: dict[str, HeaderLayout] = {}
        self.headers_by_id: dict[int, HeaderLayout] = {}
        self.stacks: dict[str, StackLayout] = {}
        self.unions: dict[str, UnionLayout] = {}
        self.unions_by_id: dict[int, UnionLayout] = {}
        self.union_stacks: dict[str, StackLayout] = {}
        self.errors: dict[str, int] = {}
        self.error_names: dict[int, str] = {}
        self.enums: dict[str, dict[str, int]] = {}
        self.template: PHV = [None]
        self._build(cfg)

    # -- construction -------------------------------------------------------------------
    def _slot(self, value: int = 0) -> int:
        self.template.append(value)
        return len(self.template) - 1

    def _build(self, cfg: dict[str, Any]) -> None:
        types: dict[str, dict[str, Any]] = {}
        for ht in cfg.get("header_types", []):
            name = _req(ht, "name", "header_types entry")
            types[name] = ht
        for h in cfg.get("headers", []):
            name = _req(h, "name", "headers entry")
            what = f"header '{name}'"
            tname = _req(h, "header_type", what)
            if tname not in types:
                raise ConfigError(f"{what}: unknown header type '{tname}'")
            self._add_header(name, int(_req(h, "id", what)), types[tname], bool(h.get("metadata")))
        for s in cfg.get("header_stacks", []):
            name = _req(s, "name", "header_stacks entry")
            hs = []
            for hid in _req(s, "header_ids", f"header stack '{name}'"):
                if hid not in self.headers_by_id:
                    raise ConfigError(f"header stack '{name}': unknown header id {hid}")
                hs.append(self.headers_by_id[hid])
            st = StackLayout(name, int(s.get("id", 0)), hs, self._slot(0))
            for h in hs:
                h.stack = st
            self.stacks[name] = st
        utypes: dict[str, list[str]] = {}
        for ut in cfg.get("header_union_types", []):
            utypes[_req(ut, "name", "header_union_types entry")] = [m[0] for m in ut.get("headers", [])]
        for u in cfg.get("header_unions", []):
            name = _req(u, "name", "header_unions entry")
            members = utypes.get(u.get("union_type", ""), [])
            hs = []
            for hid in _req(u, "header_ids", f"header union '{name}'"):
                if hid not in self.headers_by_id:
                    raise ConfigError(f"header union '{name}': unknown header id {hid}")
                hs.append(self.headers_by_id[hid])
            by_member = {}
            for i, h in enumerate(hs):
                member = members[i] if i < len(members) else h.name.rsplit(".", 1)[-1]
                by_member[member] = h
            ul = UnionLayout(name, int(u.get("id", 0)), hs, by_member)
            for h in hs:
                h.union = ul
            self.unions[name] = ul
            self.unions_by_id[ul.id] = ul
        for us in cfg.get("header_union_stacks", []):
            name = _req(us, "name", "header_union_stacks entry")
            uls = []
            for uid in _req(us, "header_union_ids", f"header union stack '{name}'"):
                if uid not in self.unions_by_id:
                    raise ConfigError(f"header union stack '{name}': unknown union id {uid}")
                uls.append(self.unions_by_id[uid])
            st = StackLayout(name, int(us.get("id", 0)), [], self._slot(0), union_stack=True, unions=uls)
            for ul in uls:
                ul.stack = st
            self.union_stacks[name] = st
        for e in cfg.get("errors", []):
            if not isinstance(e, list) or len(e) != 2:
                raise ConfigError(f"errors: bad entry {e!r}")
            self.errors[str(e[0])] = int(e[1])
            self.error_names[int(e[1])] = str(e[0])
        for en in cfg.get("enums", []):
            self.enums[en.get("name", "")] = {str(k): int(v) for k, v in en.get("entries", [])}

    def _add_header(self, name: str, hid: int, ht: dict[str, Any], metadata: bool) -> None:
        base = self._slot(1 if metadata else 0)
        fields: list[FieldLayout] = []
        varbit: FieldLayout | None = None
        nbits = 0
        for f in ht.get("fields", []):
            if not isinstance(f, list) or len(f) < 2:
                raise ConfigError(f"header type '{ht.get('name')}': bad field {f!r}")
            fname = str(f[0])
            if f[1] == "*":
                fl = FieldLayout(fname, 0, False, self._slot(0), varbit=True)
                if varbit is not None:
                    raise ConfigError(f"header type '{ht.get('name')}': more than one varbit field")
                varbit = fl
            else:
                width = int(f[1])
                if width <= 0:
                    raise ConfigError(f"header type '{ht.get('name')}': field '{fname}' has width {width}")
                signed = bool(f[2]) if len(f) > 2 else False
                fl = FieldLayout(fname, width, signed, self._slot(0))
                nbits += width
            fields.append(fl)
        by_name = {f.name: f for f in fields}
        h = HeaderLayout(name, hid, str(ht.get("name")), metadata, base, fields, by_name, nbits)
        if varbit is not None:
            h.varbit = varbit
            h.vlen_slot = self._slot(0)
            h.max_length = int(ht.get("max_length") or 0)
            varbit.width = max(0, h.max_length * 8 - nbits)
            h.emit = make_varbit_emit(h)
        elif not metadata:
            if nbits % 8:
                raise ConfigError(f"header '{name}': width {nbits} bits is not a multiple of 8")
            h.extract = make_extract(h)
            h.emit = make_emit(h)
        self.headers[name] = h
        self.headers_by_id[hid] = h

    # -- lookups used by the compilers ------------------------------------------------
    def header(self, name: Any, where: str) -> HeaderLayout:
        h = self.headers.get(name) if isinstance(name, str) else None
        if h is None:
            raise ConfigError(f"{where}: unknown header '{name}'")
        return h

    def stack(self, name: Any, where: str) -> StackLayout:
        s = self.stacks.get(name) if isinstance(name, str) else None
        if s is None:
            s = self.union_stacks.get(name) if isinstance(name, str) else None
        if s is None:
            raise ConfigError(f"{where}: unknown header stack '{name}'")
        return s

    def field(self, ref: Any, where: str) -> tuple[HeaderLayout, FieldLayout | None]:
        """(header, field) for a `[header, field]` reference; field None means `$valid$`."""
        if not isinstance(ref, list) or len(ref) != 2:
            raise ConfigError(f"{where}: bad field reference {ref!r}")
        h = self.header(ref[0], where)
        if ref[1] == "$valid$":
            return h, None
        f = h.by_name.get(ref[1])
        if f is None:
            raise ConfigError(f"{where}: header '{h.name}' has no field '{ref[1]}'")
        return h, f

    def field_slot(self, ref: Any, where: str) -> tuple[int, int, bool]:
        """(slot, width, signed) of a field reference; `$valid$` is its header's validity slot."""
        h, f = self.field(ref, where)
        if f is None:
            return h.base, 1, False
        return f.slot, f.width, f.signed
