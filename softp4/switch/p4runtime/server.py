"""The gRPC P4Runtime server over a `Switch`.

``P4RuntimeServer(switch, address="127.0.0.1:9559", device_id=1, cpu_port=255, tls=None)``
with `start()`, `wait()`, `stop()`.  Requests are checked in the order
simple_switch_grpc checks them: device (a Write PERMISSION_DENIED, a Read FAILED_PRECONDITION, others
NOT_FOUND), primary (PERMISSION_DENIED), pipeline (FAILED_PRECONDITION), then each update.
device_id 0 is accepted as this device (the P4 tutorials send it).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from pathlib import Path
from typing import Any, TypeVar

import grpc
from finsy.proto import p4i, p4r, p4r_grpc

from softp4.switch.errors import SwitchError
from softp4.switch.p4runtime import pipeline as pipeline_mod
from softp4.switch.p4runtime.arbitration import Arbitration
from softp4.switch.p4runtime.device import Device
from softp4.switch.p4runtime.errors import (
    DETAILS_KEY,
    P4RuntimeError,
    batch_status,
    from_switch_error,
    invalid,
    no_pipeline,
    not_found,
    pi_target_error,
    pi_unimplemented,
)
from softp4.switch.p4runtime.idle_timeouts import SWEEP_INTERVAL
from softp4.switch.p4runtime.pipeline import Pipeline
from softp4.switch.p4runtime.stream import StreamSession, packet_in_message, packet_out_frame
from softp4.switch.p4runtime.translate import P4InfoIndex

LOG = logging.getLogger("softp4.p4runtime")

API_VERSION = "1.3.0"
_READ_CHUNK = 500  # entities per ReadResponse

_Action = p4r.SetForwardingPipelineConfigRequest.Action
_Response = p4r.GetForwardingPipelineConfigRequest.ResponseType

T = TypeVar("T")


class P4RuntimeService(p4r_grpc.P4RuntimeServicer):
    """The request handlers; shared by every client of one switch."""

    def __init__(self, switch: Any, device_id: int, cpu_port: int) -> None:
        self.switch = switch
        self.device_id = device_id
        self.cpu_port = cpu_port
        self.arbitration = Arbitration(device_id)
        self._write_lock = threading.RLock()
        self._device: Device | None = None
        self._saved: Pipeline | None = None
        self.sweep_interval: float | None = SWEEP_INTERVAL  # None: no ageing thread (tests sweep by hand)

    # -- helpers ------------------------------------------------------------------------------------------
    def check_device(self, device_id: int, where: str) -> None:
        if device_id not in (self.device_id, 0):
            raise not_found(f"{where}.device_id {device_id}: no such device (this switch is device {self.device_id})")

    def _check_write_device(self, device_id: int) -> None:
        """A Write to another device is PERMISSION_DENIED, as PI answers it (no client is primary there)."""
        if device_id not in (self.device_id, 0):
            raise P4RuntimeError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"request.device_id {device_id}: not primary for this device (this switch is device {self.device_id})",
            )

    def _check_read_device(self, device_id: int) -> None:
        """A Read of another device is FAILED_PRECONDITION in PI's words: that device has no pipeline."""
        if device_id not in (self.device_id, 0):
            raise no_pipeline()

    def _check_role(self, role: str, role_id: int) -> None:
        if role or role_id:
            raise not_found(f"role '{role or role_id}': no such role (only the default role is supported)")

    def _check_primary(self, election_id: p4r.Uint128) -> None:
        if not self.arbitration.is_primary(election_id):
            primary = self.arbitration.primary_id()
            asked = (election_id.high << 64) | election_id.low
            raise P4RuntimeError(
                grpc.StatusCode.PERMISSION_DENIED,
                f"election_id {asked}: not the primary client"
                + (f" (the primary's election id is {primary})" if primary is not None else " (there is no primary)"),
            )

    @property
    def device(self) -> Device | None:
        """The state of the committed pipeline (None before the first commit)."""
        return self._device

    def _device_or_fail(self) -> Device:
        device = self._device
        if device is None:
            raise no_pipeline()
        return device

    def send_primary(self, message: p4r.StreamMessageResponse) -> bool:
        primary = self.arbitration.primary()
        if primary is None:
            return False
        primary.send(message)
        return True

    @staticmethod
    def _guard(context: grpc.ServicerContext, call: Callable[[], T]) -> T:
        try:
            return call()
        except P4RuntimeError as error:
            context.abort(error.code, error.message)
        except SwitchError as exc:
            mapped = from_switch_error(exc)
            context.abort(mapped.code, mapped.message)
        except Exception as exc:  # never crash on a request
            LOG.exception("P4Runtime: internal error")
            context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        raise AssertionError("unreachable")

    # -- Capabilities -------------------------------------------------------------------------------------
    def Capabilities(self, request: p4r.CapabilitiesRequest, context: grpc.ServicerContext) -> p4r.CapabilitiesResponse:
        return p4r.CapabilitiesResponse(p4runtime_api_version=API_VERSION)

    # -- pipeline -----------------------------------------------------------------------------------------
    def SetForwardingPipelineConfig(
        self, request: p4r.SetForwardingPipelineConfigRequest, context: grpc.ServicerContext
    ) -> p4r.SetForwardingPipelineConfigResponse:
        return self._guard(context, lambda: self._set_pipeline(request))

    def _verify(self, config: p4r.ForwardingPipelineConfig) -> Pipeline:
        """The pipeline of a pushed config, its P4Info checked and indexed (the JSON is checked by loading)."""
        if not config.HasField("p4info"):
            raise invalid("config.p4info is missing")
        index = P4InfoIndex(config.p4info)
        json_text = pipeline_mod.device_json(config.p4_device_config)
        cookie = config.cookie.cookie if config.HasField("cookie") else None
        kept = p4i.P4Info()
        kept.CopyFrom(config.p4info)
        return Pipeline(kept, bytes(config.p4_device_config), json_text, cookie, index)

    def _check_loads(self, pipeline: Pipeline) -> None:
        """Load the JSON into a scratch switch and bind the P4Info to it; the real switch is untouched."""
        scratch = type(self.switch)()
        try:
            scratch.load(pipeline.json_text)
        except SwitchError as exc:
            raise invalid(f"config.p4_device_config: {exc}") from None
        pipeline_mod.bind(pipeline.index, scratch)

    def _commit(self, pipeline: Pipeline) -> None:
        """Load a verified pipeline into the switch: all forwarding state starts empty."""
        old = self._device
        try:
            self.switch.load(pipeline.json_text)
        except SwitchError as exc:
            raise invalid(f"config.p4_device_config: {exc}") from None
        if old is not None:
            old.close()
        self._device = Device(
            self.switch, pipeline, self.send_primary, self._write_lock, sweep_interval=self.sweep_interval
        )

    def _set_pipeline(self, request: p4r.SetForwardingPipelineConfigRequest) -> p4r.SetForwardingPipelineConfigResponse:
        self.check_device(request.device_id, "request")
        self._check_role(request.role, request.role_id)
        self._check_primary(request.election_id)
        action = request.action
        with self._write_lock:
            if action in (_Action.VERIFY, _Action.VERIFY_AND_SAVE):
                pipeline = self._verify(request.config)
                self._check_loads(pipeline)
                if action == _Action.VERIFY_AND_SAVE:
                    self._saved = pipeline
            elif action == _Action.VERIFY_AND_COMMIT:
                pipeline = self._verify(request.config)
                self._check_loads(pipeline)  # on a scratch switch, so a bad push leaves the state alone
                self._commit(pipeline)
                self._saved = None
            elif action == _Action.COMMIT:
                if self._saved is None:
                    raise pi_target_error("commit", "action COMMIT: no config saved by VERIFY_AND_SAVE")
                self._commit(self._saved)
                self._saved = None
            elif action == _Action.RECONCILE_AND_COMMIT:
                raise pi_target_error("reconcile", "softp4 does not reconcile: use VERIFY_AND_COMMIT")
            else:
                raise invalid(f"action {action}: not a pipeline config action")
        return p4r.SetForwardingPipelineConfigResponse()

    def GetForwardingPipelineConfig(
        self, request: p4r.GetForwardingPipelineConfigRequest, context: grpc.ServicerContext
    ) -> p4r.GetForwardingPipelineConfigResponse:
        return self._guard(context, lambda: self._get_pipeline(request))

    def _get_pipeline(self, request: p4r.GetForwardingPipelineConfigRequest) -> p4r.GetForwardingPipelineConfigResponse:
        self.check_device(request.device_id, "request")
        pipeline = self._device_or_fail().pipeline
        kind = request.response_type
        config = p4r.ForwardingPipelineConfig()
        if pipeline.cookie is not None:
            config.cookie.cookie = pipeline.cookie
        if kind in (_Response.ALL, _Response.P4INFO_AND_COOKIE):
            config.p4info.CopyFrom(pipeline.p4info)
        if kind in (_Response.ALL, _Response.DEVICE_CONFIG_AND_COOKIE):
            config.p4_device_config = pipeline.device_config
        if kind not in _Response.values():
            raise invalid(f"response_type {kind}: unknown")
        return p4r.GetForwardingPipelineConfigResponse(config=config)

    # -- Write ----------------------------------------------------------------------------------------------
    def Write(self, request: p4r.WriteRequest, context: grpc.ServicerContext) -> p4r.WriteResponse:
        try:
            errors = self._write(request)
        except P4RuntimeError as error:
            context.abort(error.code, error.message)
        except Exception as exc:  # never crash on a request
            LOG.exception("P4Runtime: internal error")
            context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        if errors is not None:
            code, message, details = batch_status(errors)
            context.set_trailing_metadata(((DETAILS_KEY, details),))
            context.abort(code, message)
        return p4r.WriteResponse()

    def _write(self, request: p4r.WriteRequest) -> list[P4RuntimeError | None] | None:
        self._check_write_device(request.device_id)
        self._check_role(request.role, request.role_id)
        self._check_primary(request.election_id)
        device = self._device_or_fail()
        if request.atomicity != p4r.WriteRequest.CONTINUE_ON_ERROR:
            raise pi_unimplemented("atomicity")
        errors: list[P4RuntimeError | None] = []
        failed = False
        with self._write_lock:
            device = self._device_or_fail()
            write = device.write
            for i, update in enumerate(request.updates):
                try:
                    kind = update.type
                    if kind not in (1, 2, 3):
                        raise invalid(f"updates[{i}].type {kind}: must be INSERT, MODIFY or DELETE")
                    write(kind, update.entity)
                    errors.append(None)
                except P4RuntimeError as error:
                    errors.append(error)
                    failed = True
                except SwitchError as exc:
                    errors.append(from_switch_error(exc))
                    failed = True
                except Exception as exc:  # a bug must not end the batch or the server
                    LOG.exception("P4Runtime: internal error")
                    errors.append(P4RuntimeError(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}"))
                    failed = True
        return errors if failed else None

    # -- Read ------------------------------------------------------------------------------------------------
    def Read(self, request: p4r.ReadRequest, context: grpc.ServicerContext) -> Iterator[p4r.ReadResponse]:
        try:
            found = self._read(request)
        except P4RuntimeError as error:
            context.abort(error.code, error.message)
        except SwitchError as exc:
            mapped = from_switch_error(exc)
            context.abort(mapped.code, mapped.message)
        except Exception as exc:  # never crash on a request
            LOG.exception("P4Runtime: internal error")
            context.abort(grpc.StatusCode.INTERNAL, f"{type(exc).__name__}: {exc}")
        for start in range(0, max(len(found), 1), _READ_CHUNK):
            yield p4r.ReadResponse(entities=found[start : start + _READ_CHUNK])

    def _read(self, request: p4r.ReadRequest) -> list[p4r.Entity]:
        """Every entity the request selects, gathered under the write lock (a consistent snapshot)."""
        self._check_read_device(request.device_id)
        self._check_role(request.role, 0)
        with self._write_lock:
            device = self._device_or_fail()
            return [found for entity in request.entities for found in device.read(entity)]

    # -- StreamChannel -----------------------------------------------------------------------------------------
    def StreamChannel(
        self, request_iterator: Iterator[p4r.StreamMessageRequest], context: grpc.ServicerContext
    ) -> Iterator[p4r.StreamMessageResponse]:
        return StreamSession(self, context).run(request_iterator)

    def packet_out(self, packet: p4r.PacketOut) -> None:
        device = self._device_or_fail()
        if not self.cpu_port:
            raise P4RuntimeError(grpc.StatusCode.FAILED_PRECONDITION, "packet: this switch has no CPU port")
        frame = packet_out_frame(device.index.packet_out, packet)
        try:
            self.switch.receive(self.cpu_port, frame)
        except SwitchError as exc:
            raise from_switch_error(exc) from None

    def packet_in(self, frame: bytes) -> None:
        """Switch callback for frames sent to the CPU port."""
        device = self._device
        if device is None:
            return
        message = packet_in_message(device.index.packet_in, frame)
        if message is not None:
            self.send_primary(message)

    def digest(self, name: str, samples: list[tuple[int, ...]]) -> None:
        """Switch callback for digests."""
        device = self._device
        if device is not None:
            device.digests.on_digest(name, samples)

    def digest_ack(self, ack: p4r.DigestListAck) -> None:
        device = self._device_or_fail()
        device.digests.ack(ack)

    def close(self) -> None:
        if self._device is not None:
            self._device.close()


class P4RuntimeServer:
    """A P4Runtime gRPC server for one switch."""

    def __init__(
        self,
        switch: Any,
        address: str = "127.0.0.1:9559",
        device_id: int = 1,
        cpu_port: int = 255,
        tls: tuple[str | Path, str | Path] | None = None,
        max_workers: int = 64,
    ) -> None:
        self.switch = switch
        self.address = address
        self.service = P4RuntimeService(switch, device_id, cpu_port)
        self._tls = tls
        self._server = grpc.server(
            futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="p4runtime"),
            options=[
                ("grpc.so_reuseport", 0),  # a second switch on the same address must fail, not share it
                ("grpc.max_receive_message_length", 256 * 1024 * 1024),
                ("grpc.max_send_message_length", 256 * 1024 * 1024),
            ],
        )
        p4r_grpc.add_P4RuntimeServicer_to_server(self.service, self._server)
        self.port = 0

    def start(self) -> None:
        """Bind the address (raises OSError if it cannot), hook the switch callbacks, serve."""
        _probe(self.address)
        try:
            if self._tls is not None:
                cert, key = self._tls
                credentials = grpc.ssl_server_credentials([(Path(key).read_bytes(), Path(cert).read_bytes())])
                self.port = self._server.add_secure_port(self.address, credentials)
            else:
                self.port = self._server.add_insecure_port(self.address)
        except RuntimeError as exc:  # grpcio raises RuntimeError when it cannot bind
            raise OSError(f"P4Runtime server: cannot listen on {self.address}: {exc}") from None
        if not self.port:
            raise OSError(f"P4Runtime server: cannot listen on {self.address}")
        self.switch.on_packet_in(self.service.packet_in)
        self.switch.on_digest(self.service.digest)
        self._server.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops (or `timeout` seconds pass: then False)."""
        timed_out = self._server.wait_for_termination(timeout)
        return not timed_out

    def stop(self, grace: float | None = 0.5) -> None:
        self._server.stop(grace).wait()
        self.service.close()


def _probe(address: str) -> None:
    """Raise OSError (`P4Runtime server: cannot listen on ADDRESS: why`) when `address` cannot be bound.

    gRPC's own failure is a C-core log line on stderr and a message without the reason; a plain socket
    bound and closed first names it (address in use, not an address of this machine, unknown host).
    """
    host, _, port_text = address.rpartition(":")
    host = host.strip("[]")
    if not port_text.isdigit() or int(port_text) == 0:
        return  # port 0 picks a free port; a malformed address is left to gRPC
    try:
        infos = socket.getaddrinfo(host or None, int(port_text), type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, sockaddr = infos[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC: a TIME_WAIT port is free
            sock.bind(sockaddr)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise OSError(f"P4Runtime server: cannot listen on {address}: {why[:1].lower()}{why[1:]}") from None
