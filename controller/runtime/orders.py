"""Carry out orders on a NIC (controller.protocol.orders): packet-outs, then wait for every answer.

The answers are packet-ins on the session's stream, so the packet-in queue is opened before the first
order leaves. An order the NIC refuses, or one it has not answered within the timeout, is a
`ControllerError` naming it; the caller installs nothing that depends on an order that did not take effect.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import finsy

from controller.protocol.orders import Order, read_answer
from controller.runtime.errors import ControllerError
from controller.runtime.session import Session

ORDER_TIMEOUT = 5.0  # seconds for all answers of one call


async def carry_out(session: Session, orders: Sequence[Order], timeout: float | None = None) -> None:
    """Send `orders` to the device as packet-outs and return once the NIC has carried out every one
    (`timeout`: seconds for all answers, default ORDER_TIMEOUT)."""
    if not orders:
        return
    timeout = ORDER_TIMEOUT if timeout is None else timeout
    if session.schema.controller_packet_metadata.get("packet_out") is None:
        raise ControllerError(
            f"{session.device}: the program has no @controller_header(\"packet_out\"): it cannot take orders"
        )
    pending = set(orders)
    refused: list[Order] = []
    packets = session.switch.read_packets()
    first = asyncio.ensure_future(anext(packets))
    await asyncio.sleep(0)  # the reader's queue is open once its first read waits

    async def answers() -> None:
        nonlocal first
        while pending:
            packet = await first
            first = asyncio.ensure_future(anext(packets))
            answer = read_answer(packet.metadata.get("reason"), packet.payload)
            if answer is None or answer.order not in pending:
                continue  # another packet-in, or the answer to an earlier call
            pending.discard(answer.order)
            if not answer.done:
                refused.append(answer.order)

    try:
        await session.switch.write([finsy.P4PacketOut(b"", **order.metadata()) for order in sorted(pending)])
        await asyncio.wait_for(answers(), timeout)
    except TimeoutError:
        missing = ", ".join(order.describe() for order in sorted(pending))
        raise ControllerError(f"{session.device}: no answer within {timeout:g} s to: {missing}") from None
    except finsy.P4ClientError as exc:
        raise ControllerError(f"{session.device}: sending orders: {exc.code.name}: {exc.message}") from None
    finally:
        first.cancel()
        with contextlib.suppress(BaseException):
            await first
        await packets.aclose()
    if refused:
        what = ", ".join(order.describe() for order in sorted(refused))
        raise ControllerError(f"{session.device}: the NIC refused: {what}")
