"""MLLP over TCP: ``<VT> message <FS><CR>`` frames in, one ACK frame out per message.

asyncio accepts connections and splits frames. Per connection, a reader task
deframes what arrives into a bounded queue, and one processor applies the
frames in the order sent, in a worker thread (the database layer is
synchronous). Group commit: the processor takes every frame already queued
(at most ``mllp_batch_max`` frames / ``mllp_batch_bytes``) and applies them in
ONE transaction (``hl7_intake.process_batch``: in one go, leaving what applying
them one by one would), then sends their ACKs in order — all after the one
commit, so an AA still means the message is durably stored. A pipelining sender
thus pays one fsync per batch; a sender that waits for each ACK finds a queue of
one and gets its ACK right after its own commit, with no waiting for more
frames. Broken framing is never
silently dropped: a frame cut off by a new start byte or by the connection
closing is dead-lettered and, while the peer still listens, answered with AR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from server_sync.service.core.db import Database
from server_sync.service.intake import hl7_intake
from server_sync.service.intake.config import IntakeSettings

START, END = b"\x0b", b"\x1c\x0d"
log = logging.getLogger("followup.intake.mllp")


def frame(payload: bytes) -> bytes:
    return START + payload + END


class FrameReader:
    """Incremental MLLP deframer; ``feed`` returns complete frames and broken ones."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._inside = False
        self._overflow = 0  # bytes dropped from a frame larger than max_bytes

    def feed(self, data: bytes) -> list[tuple[bytes, str]]:
        """(payload, problem) pairs: problem '' for a whole frame, else why it is broken."""
        out: list[tuple[bytes, str]] = []
        i = 0
        while i < len(data):
            if not self._inside:
                start = data.find(START, i)
                if start == -1:
                    break  # bytes between frames (keep-alive newlines) carry nothing
                self._open()
                i = start + 1
                continue
            end, restart = data.find(END[:1], i), data.find(START, i)
            if restart != -1 and (end == -1 or restart < end):
                self._append(data[i:restart])
                if bytes(self._buffer).strip():
                    out.append((bytes(self._buffer), "frame truncated: a new frame started before <FS><CR>"))
                self._open()
                i = restart + 1
                continue
            if end == -1:
                self._append(data[i:])
                break
            self._append(data[i:end])
            out.append((bytes(self._buffer), "frame too large" if self._overflow else ""))
            self._inside = False
            self._buffer.clear()
            i = end + 1
            if i < len(data) and data[i] == END[1]:
                i += 1
        return out

    def _open(self) -> None:
        self._inside, self._overflow = True, 0
        self._buffer.clear()

    def _append(self, chunk: bytes) -> None:
        room = max(self.max_bytes - len(self._buffer), 0)
        if len(chunk) > room:
            self._overflow += len(chunk) - room
            chunk = chunk[:room]
        self._buffer.extend(chunk)

    def close(self) -> bytes | None:
        """The unfinished frame at end of stream, if any."""
        if self._inside and bytes(self._buffer).strip():
            return bytes(self._buffer)
        return None


class MllpServer:
    """The listener; ``serve_forever`` for the CLI, ``start``/``stop`` for tests and the bench."""

    def __init__(
        self, database: Database, settings: IntakeSettings, host: str = "127.0.0.1", port: int = 2575
    ) -> None:
        self.database, self.settings, self.host, self.port = database, settings, host, port
        self._server: asyncio.Server | None = None
        self.on_processed: Callable[[hl7_intake.Hl7Outcome], None] | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, self.host, self.port, limit=1 << 20)
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("MLLP listening on %s:%s", self.host, self.port)
        return self.port

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def serve_forever(self) -> None:
        await self.start()
        assert self._server is not None
        async with self._server:
            await self._server.serve_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        ref = f"mllp {peer[0]}:{peer[1]}" if peer else "mllp"
        limit = max(self.settings.mllp_batch_max, 1)
        # Bounded: a sender far ahead of the database waits in TCP flow control, not in memory.
        queue: asyncio.Queue[tuple[bytes, str] | None] = asyncio.Queue(maxsize=2 * limit)
        reading = asyncio.create_task(self._read_frames(reader, queue))
        try:
            done = False
            while not done:
                item = await queue.get()
                if item is None:
                    break
                batch, size = [item], len(item[0])
                while len(batch) < limit and size < self.settings.mllp_batch_bytes and not queue.empty():
                    item = queue.get_nowait()
                    if item is None:
                        done = True
                        break
                    batch.append(item)
                    size += len(item[0])
                await self._answer(writer, batch, ref)
        except Exception:
            # Nothing of the failed batch was answered: the sender resends it (idempotently).
            log.exception("MLLP %s: giving up on the connection", ref)
        finally:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()

    async def _read_frames(
        self, reader: asyncio.StreamReader, queue: asyncio.Queue[tuple[bytes, str] | None]
    ) -> None:
        """Deframe the stream into ``queue`` (payload, problem); None marks its end."""
        frames = FrameReader(self.settings.max_frame_bytes)
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                for item in frames.feed(data):
                    await queue.put(item)
            rest = frames.close()
            if rest is not None:
                await queue.put((rest, "frame truncated: the connection closed before <FS><CR>"))
        except (ConnectionError, asyncio.IncompleteReadError):
            rest = frames.close()
            if rest is not None:
                await queue.put((rest, "frame truncated: the connection was reset"))
        finally:
            await queue.put(None)

    async def _answer(self, writer: asyncio.StreamWriter, batch: list[tuple[bytes, str]], ref: str) -> None:
        loop = asyncio.get_running_loop()
        outcomes = await loop.run_in_executor(None, self._process, batch, ref)
        if self.on_processed is not None:
            for outcome in outcomes:
                self.on_processed(outcome)
        if writer.is_closing():
            return  # the sender is gone: what committed answers its resend as a duplicate
        with contextlib.suppress(ConnectionError):
            writer.write(b"".join(frame(outcome.ack_bytes) for outcome in outcomes))
            await writer.drain()

    def _process(self, batch: list[tuple[bytes, str]], ref: str) -> list[hl7_intake.Hl7Outcome]:
        return hl7_intake.process_batch(
            database=self.database, frames=batch, settings=self.settings, source="mllp", source_ref=ref
        )


def serve(database: Database, settings: IntakeSettings, host: str, port: int) -> None:
    """Run the listener until interrupted (``followup-server hl7-listen``)."""
    server = MllpServer(database, settings, host, port)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve_forever())
