"""Pull: download the change feed page by page; each page and its cursor commit in one transaction.

A 410 (cursor older than the tombstone window) starts a full re-download from
cursor 0 that keeps every pending local change; when it completes, local
records the service no longer has (their tombstones were purged) are swept.
The re-download restarts from 0 if interrupted, because the sweep needs to
have seen the whole feed. A 409 ``epoch_changed`` propagates: the caller
re-pushes the journal and resets the cursor first (see ``recovery``).

While a page is written to the cache, the next one is already being fetched (its
cursor is in the page's answer): the service prepares it while this PC writes.
Only the page written is ever committed with its cursor, so an error on either
side leaves the cache at the last page written, and the next pull goes on from there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server_sync.client import state
from server_sync.client.apply import ChangeWriter, Held, Key
from server_sync.client.auth import Authenticator
from server_sync.client.errors import CursorExpired
from server_sync.client.progress import ProgressTracker

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 2000


@dataclass(slots=True)
class PullResult:
    pulled: int = 0
    upserted: int = 0
    deleted: int = 0
    held: int = 0
    pages: int = 0
    redownloaded: bool = False
    swept: int = 0


class Puller:
    def __init__(
        self,
        auth: Authenticator,
        sessions: Callable[[], Session],
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        progress: ProgressTracker | None = None,
    ) -> None:
        self.auth = auth
        self.sessions = sessions
        self.page_size = page_size
        self.progress = progress or ProgressTracker()

    def pull(self) -> PullResult:
        """Pull until the feed is exhausted. Raises EpochChanged (caller recovers) and transport errors."""
        try:
            return self._pull()
        except CursorExpired:
            log.info("pull cursor expired: downloading everything again (pending changes are kept)")
            with self.sessions() as session, session.begin():
                state.set_value(session, state.REDOWNLOAD, "1")
                state.set_value(session, state.CURSOR, 0)
            result = self._pull()
            result.redownloaded = True
            return result

    def _pull(self) -> PullResult:
        result = PullResult()
        with self.sessions() as session:
            cursor = state.get_int(session, state.CURSOR)
            epoch = state.get_str(session, state.EPOCH)
            redownload = state.get_int(session, state.REDOWNLOAD) == 1
            held = Held.load(session)
        seen: set[Key] | None = set() if redownload else None
        if redownload:
            cursor = 0  # an interrupted re-download starts over: the sweep must see everything
        # One request in flight at a time; leaving the block waits for it (also on an error).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pull-fetch") as fetcher:
            page = self._fetch(cursor, epoch)
            while True:
                following: Future[dict] | None = None
                if page["has_more"]:
                    following = fetcher.submit(
                        self._fetch, page["next_cursor"], epoch or page["server_epoch"]
                    )
                self._write(page, held, seen, result, known_epoch=epoch)
                epoch = epoch or page["server_epoch"]
                if following is None:
                    return result
                page = following.result()

    def _fetch(self, cursor: int, epoch: str | None) -> dict:
        params: dict[str, object] = {"cursor": cursor, "limit": self.page_size}
        if epoch:
            params["epoch"] = epoch
        return self.auth.request("GET", "/sync/pull", params=params).body

    def _write(
        self, page: dict, held: Held, seen: set[Key] | None, result: PullResult, *, known_epoch: str | None
    ) -> None:
        """Apply one page and advance the cursor past it, in one local transaction."""
        with self.sessions() as session, session.begin():
            writer = ChangeWriter(session, held)
            applied = writer.apply(page["changes"])
            if seen is not None:
                seen.update(applied.keys)
            if page["has_more"]:
                if applied.upserted:
                    writer.retry_orphans()
            else:
                writer.retry_orphans()
                writer.release_pending()
                if seen is not None:
                    result.swept = writer.sweep_unseen(seen)
                    state.set_value(session, state.REDOWNLOAD, "0")
            held.save(session)
            state.set_value(session, state.CURSOR, page["next_cursor"])
            if not known_epoch:
                state.set_value(session, state.EPOCH, page["server_epoch"])
        result.pages += 1
        result.pulled += len(page["changes"])
        self.progress.add_received(len(page["changes"]))
        result.upserted += applied.upserted
        result.deleted += applied.deleted
        result.held = len(held.changes)
