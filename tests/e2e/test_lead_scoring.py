"""Lead scoring end to end through the public interfaces: three people of one school (Segment
``group`` calls with the same groupId) move through the hourglass at different paces (real
Segment SDK over HTTP, fake clock); the account's stage, buying group and score follow, and
the sales system (a signed-webhook receiver on 127.0.0.1, fed by the shipped
``sales-handoff`` flow) hears exactly once that the school became sales-qualified. A second
story does the same for one lead (a person-level flow posted through the API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._server import ADMIN_TOKEN, free_port
from tests.e2e._app import segment_client, start_waymark
from tests.e2e._receivers import WebhookSink
from tests.e2e.test_seed000_story import eventually
from waymark.core.clock import FakeClock
from waymark.runtime.services import Services

START = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # a Monday at the start of a school year
SECRET = "e2e-sales-secret"
PRODUCT = "genius-kit"
FLOW = f"""
id: lead-handoff
name: Sales hand-off for a sales-qualified lead
trigger:
  score_label: {{label: sales-qualified, subject: person, product: {PRODUCT}}}
reentry: always
webhooks:
  sales: {{}}
steps:
  - id: notify-sales
    send:
      channel: webhook
      target: sales
      payload:
        lead: "{{{{ trigger.id }}}}"
        product: "{{{{ trigger.product }}}}"
        label: "{{{{ trigger.to }}}}"
"""


@dataclass
class School:
    clock: FakeClock
    services: Services
    hooks: WebhookSink
    api: httpx.Client
    sdk: Any

    def track(self, user: str, event: str, **props: Any) -> None:
        ok, _ = self.sdk.track(user_id=user, event=event, properties=props)
        assert ok

    def identify(self, user: str, **traits: Any) -> None:
        ok, _ = self.sdk.identify(user_id=user, traits=traits)
        assert ok

    def day(self, n: float) -> None:
        self.clock.set(START + timedelta(days=n))

    def pid(self, user: str) -> str:
        r = self.api.get("/api/v1/profiles/lookup", params={"user_id": user})
        assert r.status_code == 200, r.text
        return str(r.json()["id"])

    def score(self, user: str) -> dict[str, Any]:
        r = self.api.get(f"/api/v1/profiles/{self.pid(user)}/scores")
        assert r.status_code == 200, r.text
        (found,) = [
            s for s in r.json()["scores"] if s["model"] == "hourglass" and s["product"] == PRODUCT
        ]
        return dict(found)

    def group(self, user: str, school: str, **traits: Any) -> None:
        ok, _ = self.sdk.group(user_id=user, group_id=school, traits=traits)
        assert ok

    def account_score(self, school: str) -> dict[str, Any]:
        r = self.api.get(f"/api/v1/accounts/{school}/scores")
        assert r.status_code == 200, r.text
        (found,) = [
            s for s in r.json()["scores"] if s["model"] == "hourglass" and s["product"] == PRODUCT
        ]
        return dict(found)

    def buying_group(self, school: str) -> Any:
        accounts = self.services.accounts
        assert accounts is not None
        (group,) = [
            g
            for g in accounts.account(school).buying_groups
            if g.model == "hourglass" and g.product == PRODUCT
        ]
        return group

    def sales_hooks(self) -> list[Any]:
        return self.hooks.received("/sales")

    def settle(self) -> None:
        """Until every flow step due now has run."""
        orchestrator = self.services.orchestrator
        assert orchestrator is not None
        orchestrator.scheduler.notify(None)
        eventually(
            lambda: (due := orchestrator.next_due()) is None or due > self.clock.now(),
            "the steps due now to run",
        )


@pytest.fixture
def school(tmp_path: Path) -> Iterator[School]:
    clock = FakeClock(START)
    hooks = WebhookSink(SECRET, clock.now).start()
    port = free_port()
    environ = {
        "WAYMARK_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WAYMARK_WEBHOOK_SALES_URL": f"{hooks.url}/sales",
        "WAYMARK_WEBHOOK_SALES_SECRET": SECRET,
    }
    store, services, app = start_waymark(tmp_path / "data", clock, environ, port)
    errors: list[Exception] = []
    sdk = segment_client(app.url, errors)
    api = httpx.Client(
        base_url=app.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, timeout=30
    )
    try:
        r = api.post("/api/v1/flows", content=FLOW)
        assert r.status_code == 200, r.text
        yield School(clock, services, hooks, api, sdk)
        assert not errors, errors
        assert not hooks.rejected, hooks.rejected
    finally:
        api.close()
        app.stop()
        hooks.stop()
        store.close()


@pytest.mark.slow
def test_a_school_becomes_sales_qualified_once(school: School) -> None:
    s = school
    kit = {"product_id": PRODUCT}
    hillside = {"name": "Hillside School", "industry": "education", "employees": 120}
    account_fit = 15  # employees >= 50 (10) + industry education (5), shipped scoring.yaml

    # day 0: Mia, the science coordinator (a champion), finds the kit
    s.identify("mia", title="Science coordinator")
    s.group("mia", "hillside", **hillside)
    s.track("mia", "Ad Clicked", **kit)
    s.track("mia", "Guide Downloaded", **kit)
    school_score = s.account_score("hillside")
    assert school_score["stage"] == "education"
    assert school_score["fit"] == account_fit
    assert school_score["label"] is None

    # day 1: Mia researches and evaluates fast; the school is marketing-qualified, and its
    # buying group at evaluation lacks IT
    s.day(1)
    for event in ("Products Searched", "Products Compared", "Product Viewed", "Trial Started"):
        s.track("mia", event, **kit)
    school_score = s.account_score("hillside")
    assert school_score["stage"] == "evaluation"
    assert school_score["label"] == "marketing-qualified"
    assert s.buying_group("hillside").missing == ("it",)
    assert s.sales_hooks() == []

    # day 2: Raj from IT joins and vets the kit: the missing role is filled, and the top
    # members' engagement plus the school's fit crosses the sales-qualified line
    s.day(2)
    s.identify("raj", title="IT administrator")
    s.group("raj", "hillside")
    s.track("raj", "Product Viewed", **kit)
    s.track("raj", "Products Compared", **kit)
    assert s.buying_group("hillside").missing == ()
    school_score = s.account_score("hillside")
    assert school_score["label"] == "sales-qualified"
    members = {c["member"] for c in school_score["contributions"] if c["kind"] == "event"}
    assert members == {s.pid("mia"), s.pid("raj")}
    assert school_score["score"] == pytest.approx(school_score["fit"] + school_score["engagement"])
    hooks = eventually(s.sales_hooks, "the sales webhook")
    s.settle()
    assert len(hooks) == 1
    sent = json.dumps(hooks[0].body)
    assert "hillside" in sent and PRODUCT in sent and "sales-qualified" in sent

    # later that day: Priya, the head teacher, joins at justification; the school moves on
    # and now lacks finance, and the sales system is not told again
    s.day(2.1)
    s.identify("priya", title="Head teacher")
    s.group("priya", "hillside")
    s.track("priya", "Quote Requested", **kit)
    assert s.account_score("hillside")["stage"] == "justification"
    assert s.buying_group("hillside").missing == ("finance",)
    assert s.account_score("hillside")["label"] == "sales-qualified"
    s.day(2.2)
    s.settle()
    assert len(s.sales_hooks()) == 1


@pytest.mark.slow
def test_three_teachers_at_different_paces(school: School) -> None:
    s = school
    kit = {"product_id": PRODUCT}
    # Mia, the head of science, is the fast one; Noor follows a few days later; Ola browses.
    s.identify("mia", title="Head of Science", role="buyer")
    s.identify("noor", title="Maths teacher")
    s.identify("ola", title="Teaching assistant")
    s.track("mia", "Ad Clicked", **kit)
    s.track("mia", "Guide Downloaded", **kit)
    s.track("ola", "Ad Clicked", **kit)
    first = s.score("mia")
    assert first["stage"] == "education" and first["label"] is None
    assert first["fit"] == 25  # title (15) + buyer role (10)

    s.day(1)
    s.track("mia", "Products Searched", **kit)
    s.track("mia", "Products Compared", **kit)
    s.track("noor", "Guide Downloaded", **kit)
    mia = s.score("mia")
    assert mia["stage"] == "research"
    assert mia["label"] == "marketing-qualified"
    assert mia["score"] == pytest.approx(mia["fit"] + mia["engagement"])
    # the explanation names the stage each piece of evidence belongs to
    stages = {c["evidence"]: c["stage"] for c in mia["contributions"] if c["kind"] == "event"}
    assert stages["Products Compared"] == "research"

    s.day(2)
    s.track("mia", "Product Viewed", **kit)
    assert s.score("mia")["label"] == "marketing-qualified"  # evaluation, not yet enough
    assert s.sales_hooks() == []
    s.track("mia", "Demo Requested", **kit)
    mia = s.score("mia")
    assert mia["stage"] == "evaluation" and mia["label"] == "sales-qualified"
    top = mia["contributions"][0]
    assert top["rule"] == "demo or quote" and top["stage"] == "evaluation"

    hooks = eventually(s.sales_hooks, "the sales webhook")
    s.settle()
    assert len(hooks) == 1
    sent = json.dumps(hooks[0].body)
    assert s.pid("mia") in sent and PRODUCT in sent and "sales-qualified" in sent

    # more evidence while already sales-qualified: the sales system is not told again
    s.day(3)
    s.track("mia", "Quote Requested", **kit)
    s.track("noor", "Products Searched", **kit)
    s.track("noor", "Product Viewed", **kit)
    assert s.score("noor")["label"] in (None, "marketing-qualified")
    assert s.score("ola")["label"] is None

    # weeks later the score has decayed (read-time decay, no new events)
    s.day(60)
    assert s.score("mia")["engagement"] < mia["engagement"] / 8
    assert s.score("mia")["label"] is None or s.score("mia")["label"] == "marketing-qualified"
    orchestrator = s.services.orchestrator
    assert orchestrator is not None
    orchestrator.scheduler.notify(None)
    eventually(lambda: (due := orchestrator.next_due()) is None or due > s.clock.now(), "due steps")
    assert len(s.sales_hooks()) == 1
