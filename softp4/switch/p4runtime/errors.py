"""P4Runtime errors: gRPC status codes, per-update `p4.v1.Error`s and batch status.

Every check in the server raises `P4RuntimeError(code, message)`.  A Write that
fails returns the gRPC status UNKNOWN whose `google.rpc.Status` (sent in the
`grpc-status-details-bin` trailer) holds one `p4.v1.Error` per update, in
order, with OK for the updates that succeeded: the shape PI gives and finsy and
p4runtime-shell decode.
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc
from finsy.proto import p4r, rpc_code, rpc_status

from softp4.switch import errors as switch_errors

DETAILS_KEY = "grpc-status-details-bin"

#: The message simple_switch_grpc gives when no pipeline is set; clients match on it.
NO_PIPELINE = "No forwarding pipeline config set for this device"


class P4RuntimeError(Exception):
    """A request (or one update of a Write) that the server refuses."""

    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def prefixed(self, where: str) -> P4RuntimeError:
        """The same error with `where` (a field path) put in front of the message."""
        return P4RuntimeError(self.code, f"{where}: {self.message}" if where else self.message)


def invalid(message: str) -> P4RuntimeError:
    """An INVALID_ARGUMENT error."""
    return P4RuntimeError(grpc.StatusCode.INVALID_ARGUMENT, message)


def not_found(message: str) -> P4RuntimeError:
    """A NOT_FOUND error."""
    return P4RuntimeError(grpc.StatusCode.NOT_FOUND, message)


def unimplemented(message: str) -> P4RuntimeError:
    """An UNIMPLEMENTED error."""
    return P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, message)


#: What simple_switch_grpc's P4Runtime server (PI) does not implement, in its words: clients observe
#: these answers, so softp4 gives the same code and message.
PI_UNIMPLEMENTED = {
    "register_write": "Register writes are not supported yet",
    "register_read": "Register reads are not supported yet",
    "value_set_write": "ValueSet writes are not supported yet",
    "value_set_read": "ValueSet reads are not supported yet",
    "extern_write": "",  # PI sets the code only
    "atomicity": "Support for atomic write modes has not been implemented yet",
    "counter_wildcard_write": "Wildcard write is not supported for indirect counters yet",
    "meter_wildcard_write": "Wildcard write is not supported for indirect meters yet",
    "direct_counters_all_tables": "Reading all direct counters for ALL tables is not supported yet",
    "direct_meters_all_tables": "Reading all direct meters for ALL tables is not supported yet",
    "cburst": "CBurst too large",
    "pburst": "Pburst too large",
    "digest_read_all": "digest_id must be set when reading DigestEntry",
    "clone_cos": "COS for clone sessions not supported yet",
    "empty_oneshot": "No support for empty action profile groups",
}

#: PI's words for INVALID_ARGUMENT answers a client may match on.
PI_INVALID = {
    "member_or_group": "Invalid member / group id",
    "mixed_selector_modes": "Invalid attempt to mix action selector programming modes",
}


#: Where simple_switch_grpc's target refuses a request PI passed on, it answers UNKNOWN in these words
#: (PI does not check these itself: the code a client sees is UNKNOWN, so softp4 gives the same).
PI_TARGET_ERRORS = {
    "table_add": "Error when adding match entry to target",
    "counter_write": "Error when writing to counter",
    "meter_write": "Error when writing meter spec",
    "member_delete": "Error when deleting member on target",
    "reconcile": "Error when reconciling config",
    "commit": "Error in second phase of device update",
}


def pi_target_error(what: str, detail: str = "") -> P4RuntimeError:
    """UNKNOWN with PI's message for `what` (a key of PI_TARGET_ERRORS), softp4's `detail` after it."""
    message = PI_TARGET_ERRORS[what]
    return P4RuntimeError(grpc.StatusCode.UNKNOWN, f"{message}: {detail}" if detail else message)


def pi_unimplemented(what: str) -> P4RuntimeError:
    """UNIMPLEMENTED with PI's message for `what` (a key of PI_UNIMPLEMENTED)."""
    return P4RuntimeError(grpc.StatusCode.UNIMPLEMENTED, PI_UNIMPLEMENTED[what])


def no_pipeline() -> P4RuntimeError:
    """FAILED_PRECONDITION: no forwarding pipeline has been committed."""
    return P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION, NO_PIPELINE)


_SWITCH_ERROR_CODES: tuple[tuple[type[Exception], grpc.StatusCode], ...] = (
    (switch_errors.NotFound, grpc.StatusCode.NOT_FOUND),
    (switch_errors.AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (switch_errors.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT),
    # PI answers UNKNOWN for every failure of the target, a full table included
    # ("Error when adding match entry to target"); it uses RESOURCE_EXHAUSTED only for its own
    # checks of action selector groups
    (switch_errors.ResourceExhausted, grpc.StatusCode.UNKNOWN),
    (switch_errors.PermissionDenied, grpc.StatusCode.PERMISSION_DENIED),
    (switch_errors.ConfigError, grpc.StatusCode.INVALID_ARGUMENT),
    (switch_errors.NoPipeline, grpc.StatusCode.FAILED_PRECONDITION),
)


def from_switch_error(exc: switch_errors.SwitchError) -> P4RuntimeError:
    """The P4Runtime error for a `SwitchError` raised by the switch API."""
    for kind, code in _SWITCH_ERROR_CODES:
        if isinstance(exc, kind):
            return P4RuntimeError(code, str(exc))
    return P4RuntimeError(grpc.StatusCode.INTERNAL, str(exc))


def grpc_code_number(code: grpc.StatusCode) -> int:
    """The canonical number of a gRPC status code (OK 0, ..., UNAUTHENTICATED 16)."""
    number: int = code.value[0]
    return number


def update_error(error: P4RuntimeError | None) -> p4r.Error:
    """The `p4.v1.Error` of one update: OK for None."""
    if error is None:
        return p4r.Error(canonical_code=rpc_code.OK)
    return p4r.Error(canonical_code=grpc_code_number(error.code), message=error.message)


def batch_status(errors: Sequence[P4RuntimeError | None]) -> tuple[grpc.StatusCode, str, bytes]:
    """Code, message and serialized `google.rpc.Status` of a Write with some failed updates."""
    failed = [(i, e) for i, e in enumerate(errors) if e is not None]
    first_index, first = failed[0]
    message = (
        f"{len(failed)} of {len(errors)} updates failed; first: update {first_index}: "
        f"{grpc.StatusCode(first.code).name}: {first.message}"
    )
    status = rpc_status.Status(code=rpc_code.UNKNOWN, message=message)
    for error in errors:
        status.details.add().Pack(update_error(error))
    return grpc.StatusCode.UNKNOWN, message, status.SerializeToString()
