"""A flow triggered by an outside signal starts for the known customer the signal names (a
thank-you for a partner referral), through the runtime's real profile lookup, and for no one
else: a signal naming an unknown id creates nobody and starts nothing."""

from __future__ import annotations

from tests.orchestrate.conftest import T0, Builder
from waymark.core.events import Event
from waymark.core.signals import OUTSIDE_SIGNAL
from waymark.identity.api import IdentityConfig, IdentityService
from waymark.journey.api import JourneyService, load_model
from waymark.runtime.contexts import FlowProfiles, ProfileContexts
from waymark.store.memory.events import MemoryEventLog

THANKS = """\
id: referral-thanks
trigger:
  event: Outside Signal
  where:
    - {field: properties.kind, op: eq, value: referral}
steps:
  - id: thanks
    send:
      channel: email
      subject: "Thanks for coming via {{ trigger.properties.source }}"
      text: Hi
"""


def _signal(seq: int, user: str) -> Event:
    return Event(
        message_id=f"s{seq}",
        type="track",
        event=OUTSIDE_SIGNAL,
        user_id=user,
        timestamp=T0,
        received_at=T0,
        properties={
            "kind": "referral",
            "stage": "research",
            "product": "kit",
            "brand": "ours",
            "source": "partner-x",
        },
        seq=seq,
    )


def test_a_referral_signal_thanks_the_known_customer_only(build: Builder) -> None:
    log = MemoryEventLog()
    identity = IdentityService(IdentityConfig.default())
    journeys = JourneyService([load_model("hourglass")])
    known = Event(
        message_id="c1",
        type="identify",
        user_id="ann",
        traits={"email": "ann@example.com"},
        timestamp=T0,
        received_at=T0,
        seq=1,
    )
    log.append([known])
    identity.observe([known])
    profiles = FlowProfiles(ProfileContexts(identity, journeys, log), identity)
    kit = build({"f.yaml": THANKS}, profiles=profiles)
    signals = [_signal(2, "ann"), _signal(3, "zoe")]
    identity.observe(signals)
    kit.orch.process(signals)
    assert kit.orch.run_due() == 1
    [mail] = kit.sent("email")
    assert mail.payload["to"] == "ann@example.com"
    assert mail.payload["subject"] == "Thanks for coming via partner-x"
    assert identity.resolve("user_id", "zoe") is None
    assert len(list(identity.profile_ids())) == 1
