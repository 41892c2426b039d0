"""The BMv2 JSON back end: `to_bmv2_json(program)` lowers a checked v1model program.

What the JSON holds (behavioral-model docs/JSON_format.md, version 2.23):

- Storage: headers of the program's header struct are instances named by
  their field (`ethernet`), nested structs joined with `.`, stack elements
  `name[i]`, union members `union.member`.  Every scalar that is not in a
  header (user metadata, locals, temporaries) is a field of the metadata
  instance `scalars` (type `scalars_0`), named by its path (`meta.fwd.port`)
  or its local name; booleans are 1-bit fields, errors and plain enums 32-bit.
  `standard_metadata` is v1model's instance, its `@alias` fields listed in
  `field_aliases`.  Structs inside headers are flattened into header fields.
- Names of tables, actions, counters, meters, registers, action profiles and
  value sets are those of P4Info (`softp4.compiler.names`); a top-level action
  used with different bound arguments appears once per binding, same name.
- Control flow: tables and conditionals with `next_tables` per action, or
  `__HIT__`/`__MISS__`; plain statements become a synthesized action run by a
  keyless table `tbl_<name>` with a const default entry (a direct action call
  keeps its action and passes constants as action data); `if` inside actions
  is `_jump_if_zero`/`_jump`; `exit` in an action is followed by a jump to its
  end; table applies nested in expressions are hoisted into a hit flag;
  sub-controls and sub-parsers are inlined, their objects named by instance.
- Expressions: arithmetic is masked to the width (`&`), signed results wrapped
  with `two_comp_mod`, saturation via `usat_cast`/`sat_cast`; primitive
  parameters that are expressions are wrapped twice (p4c's form), conditional
  and verify expressions once.  Errors are numbered from 0 in declaration
  order (core.p4 first).
- Externs: counter/meter/register arrays (direct ones bound to their table),
  `calculations` for hash and checksums, `field_lists` for the preserving
  clone/resubmit/recirculate calls (ids from 1), `learn_lists` for digests
  (named by the digest's struct type).
"""

from softp4.compiler.bmv2.program import to_bmv2_json

__all__ = ["to_bmv2_json"]
