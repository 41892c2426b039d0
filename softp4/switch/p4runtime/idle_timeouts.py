"""Idle timeouts: IdleTimeoutNotification for entries not hit for their `idle_timeout_ns`.

BMv2 and PI behave so, and so does this module:

- only tables whose P4Info says `idle_timeout_behavior: NOTIFY_CONTROL` (v1model
  `support_timeout = true`, JSON `support_timeout`) take a nonzero `idle_timeout_ns`;
- the switch keeps the timeout in whole milliseconds (`idle_timeout_ns // 10**6`, so
  below 1 ms an entry never ages) and the time of the entry's last hit; INSERT and every
  MODIFY restart the idle time;
- every `SWEEP_INTERVAL` seconds (BMv2's ageing monitor: 1 s) the entries idle for at
  least their timeout are collected; an entry is notified once when it becomes idle, and
  again only after a hit (or a MODIFY) made it active and it became idle again;
- one IdleTimeoutNotification per sweep carries every newly idle entry of every table
  (table id, match, priority, `idle_timeout_ns`, `controller_metadata`) with the server's
  monotonic time in ns; it goes to the primary client (none: it is dropped, as PI does).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from finsy.proto import p4r

from softp4.switch.p4runtime.translate import P4InfoIndex, TableSpec

SWEEP_INTERVAL = 1.0  # seconds, BMv2's default ageing sweep interval

#: (idle_timeout_ns, controller_metadata) of an entry, or None if P4Runtime did not write it
EntryTimeout = Callable[[str, int], tuple[int, int] | None]


class IdleTimeouts:
    """The ageing sweep of one pipeline's tables; `sweep()` runs one, the thread every SWEEP_INTERVAL."""

    def __init__(
        self,
        switch: Any,
        index: P4InfoIndex,
        entry_timeout: EntryTimeout,
        send: Callable[[p4r.StreamMessageResponse], bool],
        lock: threading.RLock,
        *,
        interval: float | None = SWEEP_INTERVAL,
    ) -> None:
        self._sw = switch
        self._entry_timeout = entry_timeout
        self._send = send
        self._lock = lock  # the server's write lock: a sweep sees no half-done write
        self._tables: list[TableSpec] = [t for t in index.tables.values() if t.idle_timeout]
        self._notified: dict[str, set[int]] = {t.name: set() for t in self._tables}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if interval is not None and self._tables:
            self._thread = threading.Thread(
                target=self._run, args=(interval,), name="p4runtime-idle-timeouts", daemon=True
            )
            self._thread.start()

    def _run(self, interval: float) -> None:
        deadline = time.monotonic()
        while True:
            deadline += interval
            if self._stop.wait(max(0.0, deadline - time.monotonic())):
                return
            try:
                self.sweep()
            except Exception:  # a sweep must never end the thread (the switch may be reloading)
                continue

    def sweep(self) -> p4r.IdleTimeoutNotification | None:
        """Collect the newly idle entries; send (and return) their notification, if any."""
        notification = p4r.IdleTimeoutNotification()
        with self._lock:
            for table in self._tables:
                expired = self._sw.table_expired(table.name)
                previous = self._notified[table.name]
                fresh = [handle for handle in expired if handle not in previous]
                self._notified[table.name] = set(expired)
                if not fresh:
                    continue
                by_handle = {e.handle: e for e in self._sw.table_entries(table.name)}
                for handle in fresh:
                    stored = self._entry_timeout(table.name, handle)
                    entry = by_handle.get(handle)
                    if entry is None or stored is None or stored[0] == 0:
                        continue
                    notification.table_entry.add(
                        table_id=table.id,
                        match=table.match(entry.key),
                        priority=entry.priority,
                        idle_timeout_ns=stored[0],
                        controller_metadata=stored[1],
                    )
        if not notification.table_entry:
            return None
        notification.timestamp = time.monotonic_ns()
        self._send(p4r.StreamMessageResponse(idle_timeout_notification=notification))
        return notification

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
