"""MLLP over TCP: ``<VT> message <FS><CR>`` frames in, one ACK frame out per message.

asyncio accepts connections and splits frames; each message is applied in a
worker thread (the database layer is synchronous) and answered before the
next frame of that connection is read, so one sender's messages are applied
in the order sent. Broken framing is never silently dropped: a frame cut off
by a new start byte or by the connection closing is dead-lettered and, while
the peer still listens, answered with AR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from server_sync.service.core.db import Database
from server_sync.service.intake import hl7_intake
from server_sync.service.intake.config import IntakeSettings
from server_sync.service.intake.events import IntakeError

START, END = b"\x0b", b"\x1c\x0d"
log = logging.getLogger("followup.intake.mllp")


def frame(payload: bytes) -> bytes:
    return START + payload + END


class FrameReader:
    """Incremental MLLP deframer; ``feed`` returns complete frames and truncated ones."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._inside = False
        self._overflow = 0  # bytes dropped from a frame larger than max_bytes

    def feed(self, data: bytes) -> list[tuple[bytes, str]]:
        """(payload, problem) pairs: problem '' for a whole frame, else why it is broken."""
        out: list[tuple[bytes, str]] = []
        for start, chunk in _split_on(data, START):
            if start:
                if self._inside and self._buffer.strip():
                    out.append((bytes(self._buffer), "frame truncated: a new frame started before <FS><CR>"))
                self._buffer.clear()
                self._inside, self._overflow = True, 0
            if not self._inside:
                continue  # bytes between frames (keep-alive newlines) carry nothing
            self._append(chunk)
            while True:
                end = self._buffer.find(END)
                if end == -1:
                    break
                payload = bytes(self._buffer[:end])
                out.append((payload, "frame too large" if self._overflow else ""))
                rest = bytes(self._buffer[end + len(END) :])
                self._buffer.clear()
                self._inside, self._overflow = False, 0
                if rest.strip():
                    self._inside = False
                break
        return out

    def _append(self, chunk: bytes) -> None:
        room = self.max_bytes - len(self._buffer)
        if len(chunk) > room:
            self._overflow += len(chunk) - max(room, 0)
            # Keep looking for the end marker in the dropped part, so the frame still closes.
            tail_end = chunk.find(END)
            if tail_end != -1:
                self._buffer.extend(chunk[: max(room, 0)])
                self._buffer.extend(END)
                return
            chunk = chunk[: max(room, 0)]
        self._buffer.extend(chunk)

    def close(self) -> bytes | None:
        """The unfinished frame at end of stream, if any."""
        if self._inside and self._buffer.strip():
            return bytes(self._buffer)
        return None


def _split_on(data: bytes, marker: bytes) -> list[tuple[bool, bytes]]:
    parts = data.split(marker)
    return [(i > 0, part) for i, part in enumerate(parts)]


class MllpServer:
    """The listener; ``serve_forever`` for the CLI, ``start``/``stop`` for tests and the bench."""

    def __init__(self, database: Database, settings: IntakeSettings, host: str = "127.0.0.1", port: int = 2575) -> None:
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
        frames = FrameReader(self.settings.max_frame_bytes)
        try:
            while True:
                data = await reader.read(1 << 16)
                if not data:
                    break
                for payload, problem in frames.feed(data):
                    await self._answer(writer, payload, problem, ref)
            rest = frames.close()
            if rest is not None:
                await self._answer(writer, rest, "frame truncated: the connection closed before <FS><CR>", ref)
        except (ConnectionError, asyncio.IncompleteReadError):
            rest = frames.close()
            if rest is not None:
                await self._answer(None, rest, "frame truncated: the connection was reset", ref)
        finally:
            with contextlib.suppress(Exception):
                writer.close()
                await writer.wait_closed()

    async def _answer(self, writer: asyncio.StreamWriter | None, payload: bytes, problem: str, ref: str) -> None:
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(None, self._process, payload, problem, ref)
        if self.on_processed is not None:
            self.on_processed(outcome)
        if writer is None or writer.is_closing():
            return
        with contextlib.suppress(ConnectionError):
            writer.write(frame(outcome.ack_bytes))
            await writer.drain()

    def _process(self, payload: bytes, problem: str, ref: str) -> hl7_intake.Hl7Outcome:
        if problem:
            return hl7_intake.reject_raw(
                database=self.database, raw=payload, settings=self.settings, error=IntakeError(problem, reject=True), source="mllp", source_ref=ref
            )
        return hl7_intake.process(database=self.database, raw=payload, settings=self.settings, source="mllp", source_ref=ref)


def serve(database: Database, settings: IntakeSettings, host: str, port: int) -> None:
    """Run the listener until interrupted (``followup-server hl7-listen``)."""
    server = MllpServer(database, settings, host, port)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve_forever())
