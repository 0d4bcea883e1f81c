"""The SDK's auto-paging follows `nextStartingAfter` when the API gives one: a filtered page the
server's read bound cut short (even empty) still leads to the next (issue 17, item 10)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from vinr import Vinr

from tests.sdk.conftest import Recorder, answer

MockClient = Callable[..., Vinr]


def test_auto_paging_follows_the_cursor_of_a_short_page(mock_client: MockClient, recorder: Recorder) -> None:
    # Given a filter whose first two pages read the bound and found nothing, then the event
    def pages(request: httpx.Request) -> httpx.Response:
        after = request.url.params.get("startingAfter")
        if after is None:
            return answer(body={"object": "list", "data": [], "hasMore": True, "nextStartingAfter": "evt_500"})
        if after == "evt_500":
            return answer(body={"object": "list", "data": [], "hasMore": True, "nextStartingAfter": "evt_250"})
        return answer(body={"object": "list", "data": [{"id": "evt_7", "type": "invoice.paid"}], "hasMore": False})

    client = mock_client(pages)
    # When every such event is iterated
    seen = [e["id"] for e in client.events.auto_paging_iter(limit=1, type="invoice.paid")]
    # Then the empty pages were followed by their cursors, not taken for the end
    assert seen == ["evt_7"]
    assert [r.url.params.get("startingAfter") for r in recorder.requests] == [None, "evt_500", "evt_250"]
