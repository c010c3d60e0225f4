"""The frontier's order: the next request comes from a site with nothing in flight.

Scrapy's ``DownloaderAwarePriorityQueue`` answers the same question by reading the in-flight
count of every site that has requests waiting, on every pop. A national crawl has thousands
of sites waiting for most of its length, and at 3,000 sites that scan was a quarter of the
reactor thread's time (py-spy: ``DownloaderInterface.stats``). Here the waiting sites stand in
a ring instead: the site served longest ago is looked at first, a served site goes to the back,
and the look stops at the first site with nothing in flight, which is nearly always the first
one. Only when every waiting site is busy is the whole ring read, for the one with the fewest
in flight: at a crawl's end, when few sites are left.
"""

from __future__ import annotations

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue


class SiteRingQueue(DownloaderAwarePriorityQueue):
    """``DownloaderAwarePriorityQueue`` with the same per-site queues on disk (so
    ``JOBDIR`` and its files work unchanged), the choice of site made from a ring."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: sites with requests waiting, the one served longest ago first (dicts keep order)
        self._ring: dict[str, None] = dict.fromkeys(self.pqueues)
        self._count = sum(len(q) for q in self.pqueues.values())

    def _in_flight(self, slot: str) -> int:
        found = self.crawler.engine.downloader.slots.get(slot)  # type: ignore[union-attr]
        return len(found.active) if found is not None else 0

    def _choose(self) -> str | None:
        best: str | None = None
        fewest = 0
        for slot in self._ring:
            busy = self._in_flight(slot)
            if busy == 0:
                return slot
            if best is None or busy < fewest:
                best, fewest = slot, busy
        return best

    def push(self, request: Request) -> None:
        slot = self._downloader_interface.get_slot_key(request)
        queue = self.pqueues.get(slot)
        if queue is None:
            queue = self.pqueues[slot] = self.pqfactory(slot)
            self._ring[slot] = None
        queue.push(request)
        self._count += 1

    def pop(self) -> Request | None:
        slot = self._choose()
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if request is not None:
            self._count -= 1
        del self._ring[slot]
        if len(queue):
            self._ring[slot] = None  # to the back of the ring
        else:
            # its emptied folder under JOBDIR stays until the crawl's own folder goes (one
            # per site at most), where Scrapy removes it by a private helper of its own
            del self.pqueues[slot]
            queue.close()
        return request

    def peek(self) -> Request | None:
        slot = self._choose()
        return self.pqueues[slot].peek() if slot is not None else None

    def close(self) -> dict[str, list[int]]:
        self._ring.clear()
        self._count = 0
        return super().close()

    def __len__(self) -> int:
        return self._count
