"""The recent-performance endpoints over real data: events through the tracking API, the
pipeline (identity, journeys, decide's feedback, flows), decisions through the decide API, and
the figures checked against what the decision log and the delivery log say one by one."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest
from starlette.testclient import TestClient

from tests._server import WRITE_KEY
from waymark.api.app import create_app
from waymark.core.clock import FakeClock
from waymark.core.settings import Settings
from waymark.decide.contracts import DecisionContext, JourneyPosition
from waymark.decide.ports import ContextSource
from waymark.runtime.services import Services, build_services
from waymark.runtime.sink import CommitSink
from waymark.store.duckdb.store import DuckDBStore

WRITE = {"Authorization": "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()}
BUYERS = ("c3", "c4", "c5")
DELIVERED = ("c3", "c4")
T = TypeVar("T")


def eventually(probe: Callable[[], T | None], what: str, timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def track(client: TestClient, user: str, event: str, **props: Any) -> None:
    body = {"userId": user, "event": event, "properties": props}
    assert client.post("/v1/track", json=body, headers=WRITE).status_code == 200


def populate(client: TestClient) -> None:
    for i in range(6):
        user = f"c{i}"
        identify = {
            "userId": user,
            "traits": {"email": f"{user}@example.com", "consent": {"ads": True, "email": True}},
        }
        assert client.post("/v1/identify", json=identify, headers=WRITE).status_code == 200
        track(client, user, "Product Viewed", product_id="genius-kit")
    for user in BUYERS:
        track(client, user, "Order Completed", order_id=f"o-{user}", product_id="genius-kit")
    for user in DELIVERED:
        track(client, user, "Order Delivered", order_id=f"o-{user}", product_id="genius-kit")


def get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> Any:
    r = client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def without_flows(settings: Settings, store: DuckDBStore, clock: FakeClock) -> Iterator[TestClient]:
    """The app with no orchestration, so every decision in the log is one this test asked for
    (flows ask decide too: the call-centre sync on each stage change, the onboarding e-mail)."""
    stores = dataclasses.replace(store.features(), flows=None)
    services = build_services(settings, event_log=store.events, stores=stores, clock=clock)
    with TestClient(create_app(services), raise_server_exceptions=False) as c:
        yield c


def test_catalog_activity(
    without_flows: TestClient, admin_headers: dict[str, str], clock: FakeClock
) -> None:
    client = without_flows
    populate(client)
    answers = []
    for i in range(6):
        for channel in ("ads", "web"):
            r = client.post(
                "/api/v1/decide",
                json={"profile": {"user_id": f"c{i}"}, "channel": channel, "count": 2},
                headers=admin_headers,
            )
            assert r.status_code == 200, r.text
            answers.append(r.json())
    offered = [(a, e["id"]) for a in answers for e in a["experiences"]]
    clicked = offered[:3]
    for answer, experience_id in clicked:
        props = {"decision_id": answer["decision_id"], "experience_id": experience_id}
        track(client, "c0", "Experience Clicked", **props)

    # the oracle: every logged decision, read back one by one through the decide API
    logged = [get(client, admin_headers, f"/api/v1/decisions/{a['decision_id']}") for a in answers]
    excluded: Counter[tuple[str, str]] = Counter()
    eligible: Counter[str] = Counter()
    for d in logged:
        excluded.update((x["experience_id"], x["policy"]) for x in d["excluded"])
        eligible.update(c["experience_id"] for c in d["candidates"])
    chosen = Counter((e, a["holdout"]) for a, e in offered)
    clicks = Counter((e, a["holdout"]) for a, e in clicked)

    def clicks_counted() -> dict[str, Any] | None:
        body: dict[str, Any] = get(client, admin_headers, "/api/v1/activity/catalog", days=7)
        total = sum(e["treated"]["clicked"] + e["holdout"]["clicked"] for e in body["experiences"])
        return body if total == len(clicked) else None

    perf = eventually(clicks_counted, "the clicks to be counted")
    assert perf["decisions"] == len(answers)
    assert perf["holdout_decisions"] == sum(a["holdout"] for a in answers)
    rows = {e["experience_id"]: e for e in perf["experiences"]}
    catalog = get(client, admin_headers, "/api/v1/decide/catalog")
    assert [e["id"] for e in catalog["experiences"]] == list(rows)  # every one, catalog order
    for exp_id, row in rows.items():
        assert row["eligible"] == eligible[exp_id], exp_id
        assert row["excluded"] == {p: n for (e, p), n in excluded.items() if e == exp_id}, exp_id
        for group, holdout in (("treated", False), ("holdout", True)):
            assert row[group]["chosen"] == chosen[(exp_id, holdout)], (exp_id, group)
            assert row[group]["clicked"] == clicks[(exp_id, holdout)], (exp_id, group)
    # the buyers' ads: the features ad stopped for them (they are past its stages), counted
    assert rows["genius-features-ad"]["excluded"] == {"stage.not_eligible": len(BUYERS)}

    # the window: eight days later a week holds none of these decisions, a month all of them
    clock.advance(timedelta(days=8))
    assert get(client, admin_headers, "/api/v1/activity/catalog", days=7)["decisions"] == 0
    month = get(client, admin_headers, "/api/v1/activity/catalog", days=30)
    assert month["decisions"] == len(answers)


def test_flows_and_audiences_activity(
    client: TestClient, admin_headers: dict[str, str], clock: FakeClock
) -> None:
    populate(client)

    # flows: each delivered order started an onboarding run whose e-mail step settled
    # (no SMTP on this server: skipped, with a reason) and the run finished
    def onboarded() -> dict[str, Any] | None:
        body = get(client, admin_headers, "/api/v1/activity/flows", days=7)
        flow = {f["id"]: f for f in body["flows"]}["onboarding"]
        return flow if flow["ended"].get("done") == len(DELIVERED) else None

    onboarding = eventually(onboarded, "the onboarding runs to finish")
    assert onboarding["started"] == len(DELIVERED)
    assert onboarding["active"] == 0
    step = {s["step_id"]: s for s in onboarding["steps"]}["getting-started"]
    assert step["channel"] == "email"
    assert sum(step["messages"].values()) == len(DELIVERED)
    delivery_log = get(client, admin_headers, "/api/v1/flows/onboarding/messages")["messages"]
    assert Counter(m["status"] for m in delivery_log) == Counter(step["messages"])

    # audiences: the buyers are the owners' suppression list; an export is remembered
    audiences = get(client, admin_headers, "/api/v1/activity/audiences", days=7)
    sizes = {a["name"]: a for a in audiences["audiences"]}
    assert sizes["kit-owners"]["size"] == len(BUYERS)
    assert sizes["kit-owners"]["last_export"] is None
    page = get(client, admin_headers, "/api/v1/audiences/kit-owners")
    assert len(page["members"]) == sizes["kit-owners"]["size"]
    again = get(client, admin_headers, "/api/v1/activity/audiences", days=7)
    exported = {a["name"]: a for a in again["audiences"]}["kit-owners"]["last_export"]
    assert datetime.fromisoformat(exported) == clock.now()

    clock.advance(timedelta(days=8))
    flows_week = get(client, admin_headers, "/api/v1/activity/flows", days=7)
    assert {f["id"]: f for f in flows_week["flows"]}["onboarding"]["started"] == 0


@pytest.mark.parametrize("path", ["catalog", "flows", "audiences"])
def test_days_is_checked(client: TestClient, admin_headers: dict[str, str], path: str) -> None:
    for bad in ("0", "367", "week"):
        r = client.get(f"/api/v1/activity/{path}", params={"days": bad}, headers=admin_headers)
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "validation_error" or "days" in r.json()["message"]
    assert client.get(f"/api/v1/activity/{path}").status_code == 401


class SlowContexts:
    """A large population whose contexts take time to build, like a big profile store."""

    def __init__(self, inner: ContextSource, n: int, pause_s: float) -> None:
        self._inner, self._n, self._pause = inner, n, pause_s

    def resolve(self, reference: Any) -> str | None:
        return self._inner.resolve(reference)

    def context(self, profile_id: str, now: datetime) -> DecisionContext | None:
        return self._inner.context(profile_id, now)

    def contexts(self, now: datetime, *, events: bool = True) -> Iterator[DecisionContext]:
        for i in range(self._n):
            time.sleep(self._pause)  # blocking, as reading a profile from DuckDB is
            owner = JourneyPosition(
                model="hourglass", product="genius-kit", stage="adoption", purchased=True
            )
            yield DecisionContext(
                profile_id=f"p{i:06d}",
                now=now,
                identifiers={"email": [f"p{i}@example.com"]},
                consent={"ads": True},
                positions=(owner,) if i % 2 == 0 else (),
            )


def test_counting_a_large_audience_does_not_hold_up_the_server(services: Services) -> None:
    decider = services.decide
    assert decider is not None
    n = 2000
    decider._contexts = SlowContexts(decider._source(), n, pause_s=0.001)
    app = create_app(services)

    async def scenario() -> tuple[float, dict[str, Any], bool]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://waymark") as c:
            counting = asyncio.create_task(
                c.get(
                    "/api/v1/activity/audiences",
                    headers={"Authorization": "Bearer test-admin-token"},
                )
            )
            await asyncio.sleep(0.2)  # the count is under way (it takes 2 s or more)
            started = time.monotonic()
            health = await c.get("/healthz")
            took = time.monotonic() - started
            assert health.status_code == 200
            still_counting = not counting.done()
            answer = await counting
            assert answer.status_code == 200, answer.text
            return took, answer.json(), still_counting

    took, body, still_counting = asyncio.run(scenario())
    assert still_counting, "the count finished before /healthz was asked: make it larger"
    assert took < 0.5, f"/healthz took {took:.2f} s while an audience was being counted"
    sizes = {a["name"]: a["size"] for a in body["audiences"]}
    # half of the slow population owns a kit (and is in adoption: not yet an advocate)
    assert sizes == {"genius-kit-considering": 0, "kit-owners": n // 2, "happy-advocates": 0}


def _restarted(settings: Settings, clock: FakeClock) -> tuple[DuckDBStore, Services]:
    """A store and services over ``settings.data_dir``, as a new server process builds them;
    audience counts are never shared, so each request counts (the TTL is wall-clock time)."""
    store = DuckDBStore(settings.data_dir)
    services = build_services(
        settings, event_log=store.events, stores=store.features(), clock=clock
    )
    assert services.decide is not None
    services.decide._audiences.ttl_s = 0
    return store, services


def _audiences(
    client: TestClient, headers: dict[str, str], sink: CommitSink | None
) -> dict[str, Any]:
    assert sink is not None
    sink.settle()  # every event tracked so far is in identity and journeys
    body = get(client, headers, "/api/v1/activity/audiences", days=30)
    return {a["name"]: a for a in body["audiences"]}


def test_audience_history_survives_a_restart(
    settings: Settings, clock: FakeClock, admin_headers: dict[str, str]
) -> None:
    first_export = clock.now()
    store, services = _restarted(settings, clock)
    try:
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            populate(client)
            before = _audiences(client, admin_headers, services.sink)
            assert before["kit-owners"]["size"] == len(BUYERS)
            assert (before["kit-owners"]["added"], before["kit-owners"]["removed"]) == (0, 0)
            considering = before["genius-kit-considering"]["size"]
            assert considering >= 1  # c0 viewed the kit and has not bought it
            get(client, admin_headers, "/api/v1/audiences/kit-owners")  # one page: exported
            clock.advance(timedelta(days=1))
            # c0 buys: joins the owners, leaves those considering the kit
            track(client, "c0", "Order Completed", order_id="o-c0", product_id="genius-kit")
            changed = _audiences(client, admin_headers, services.sink)
            assert changed["kit-owners"]["size"] == len(BUYERS) + 1
    finally:
        store.close()

    clock.advance(timedelta(days=1))
    store, services = _restarted(settings, clock)
    try:
        with TestClient(create_app(services), raise_server_exceptions=False) as client:
            # c1 buys after the restart, before the first count of this process: found by
            # diffing against the last count before the restart
            track(client, "c1", "Order Completed", order_id="o-c1", product_id="genius-kit")
            after = _audiences(client, admin_headers, services.sink)
    finally:
        store.close()
    owners = after["kit-owners"]
    assert owners["size"] == len(BUYERS) + 2
    assert (owners["added"], owners["removed"]) == (2, 0)  # c0 before the restart, c1 after
    assert datetime.fromisoformat(owners["last_export"]) == first_export
    left = after["genius-kit-considering"]
    assert (left["size"], left["added"], left["removed"]) == (considering - 2, 0, 2)
