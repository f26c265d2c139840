"""Runs and timers over the real DuckDB store, driven by a fake clock: triggers, waits,
branches, the contact policy, retries, stale steps, trait updates, and idempotency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec

from tests.orchestrate.conftest import T0, Builder
from waymark.journey.contracts import StageChanged
from waymark.orchestrate.channels._base import Result
from waymark.orchestrate.contracts import AudienceJoined, Verdict

SHIPPED = """\
id: shipped
trigger: {event: Order Shipped}
steps:
  - id: notice
    send:
      channel: email
      subject: "Thanks {{ first_name }}: {{ trigger.properties.tracking_number }}"
      text: "Track it at {{ trigger.properties.tracking_url }}"
  - id: later
    wait: 2d
  - id: inbox
    send: {channel: inbox, title: "Hello {{ first_name }}", body: Get the app}
"""

REVIEW = """\
id: review
trigger: {event: Order Delivered, delay: 3d}
exit_on: [Order Returned]
steps:
  - id: reviewed
    branch:
      - when: [{event: Review Submitted, since_trigger: true}]
        goto: exit
  - id: ask
    send: {channel: email, subject: Review us, text: Please}
  - id: mark
    update_traits: {review_requested: true}
"""


def test_an_event_sends_then_waits_then_sends(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.orch.process(
        [kit.event("Order Shipped", tracking_number="TN1", tracking_url="https://t/1")]
    )
    assert kit.orch.run_due() == 1
    [mail] = kit.sent("email")
    assert mail.payload["subject"] == "Thanks Ray: TN1"
    assert mail.payload["to"] == "ray@example.com"
    assert "https://t/1" in mail.payload["text"]
    assert kit.advance(timedelta(days=2) - timedelta(seconds=1)) == 0
    assert kit.sent("inbox") == []
    assert kit.advance(timedelta(seconds=1)) == 1
    [note] = kit.sent("inbox")
    assert note.payload["title"] == "Hello Ray"
    assert note.key != mail.key
    statuses = [(m.step_id, m.status) for m in kit.orch.messages(profile_id="ray").messages]
    assert sorted(statuses) == [("inbox", "sent"), ("notice", "sent")]
    # "sent" events go to the log for the timeline
    assert [e.event for e in kit.sink.events] == ["Email Sent", "Inbox Message Sent"]
    assert kit.sink.events[0].properties["message_id"] == mail.key
    assert kit.orch.flow("shipped").runs == {"done": 1}


def test_the_same_event_twice_starts_one_run(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    event = kit.event("Order Shipped", tracking_number="TN1", tracking_url="u")
    kit.orch.process([event])
    kit.orch.process([event])  # re-fed after a restart
    assert kit.orch.run_due() == 1
    kit.orch.process([event])
    assert kit.orch.run_due() == 0
    assert len(kit.sent("email")) == 1


def test_delay_branch_and_trait_update(build: Builder) -> None:
    kit = build({"f.yaml": REVIEW})
    kit.profiles.add("ray", email="ray@example.com")
    kit.profiles.add("ann", email="ann@example.com")
    kit.orch.process([kit.event("Order Delivered", "ray"), kit.event("Order Delivered", "ann")])
    due = kit.orch.next_due()
    assert due == T0 + timedelta(days=3)
    # ann reviews the day after delivery: her run exits at the branch
    kit.profiles.add(
        "ann",
        email="ann@example.com",
        recent=(_recent("Review Submitted", T0 + timedelta(days=1)),),
    )
    assert kit.advance(timedelta(days=3) - timedelta(minutes=1)) == 0
    kit.advance(timedelta(minutes=1))
    assert [m.payload["to"] for m in kit.sent("email")] == ["ray@example.com"]
    identify = [e for e in kit.sink.events if e.type == "identify"]
    assert [(e.user_id, e.traits) for e in identify] == [("ray", {"review_requested": True})]
    runs = kit.orch.flow("review").runs
    assert runs == {"done": 2}


def test_exit_on_ends_the_run_and_its_waiting_steps(build: Builder) -> None:
    kit = build({"f.yaml": REVIEW})
    kit.profiles.add("ray", email="ray@example.com")
    kit.orch.process([kit.event("Order Delivered")])
    assert [m.status for m in kit.orch.messages(profile_id="ray").messages] == []
    kit.clock.advance(timedelta(hours=5))
    kit.orch.process([kit.event("Order Returned")])
    assert kit.advance(timedelta(days=5)) == 0
    assert kit.sent("email") == []
    assert kit.orch.flow("review").runs == {"exited": 1}
    assert kit.orch.next_due() is None


def test_scheduled_sends_are_listed_with_their_due_time(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.orch.process([kit.event("Order Shipped", tracking_number="T", tracking_url="u")])
    kit.orch.run_due()
    [scheduled, sent] = kit.orch.messages(profile_id="ray").messages
    assert (scheduled.status, scheduled.channel, scheduled.due_at) == (
        "scheduled",
        "inbox",
        T0 + timedelta(days=2),
    )
    assert sent.status == "sent"
    assert kit.orch.flows().flows[0].scheduled == 1


def test_consent_block_and_quiet_hours_defer(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.profiles.add("ann", email="ann@example.com", traits={"first_name": "Ann"})
    kit.gate.verdicts[("ray", "email")] = Verdict(
        action="block", code="consent.channel", reason="no email consent given"
    )
    until = T0 + timedelta(hours=8)
    kit.gate.verdicts[("ann", "email")] = Verdict(
        action="defer", code="contact.quiet_hours", reason="quiet hours", until=until
    )
    kit.orch.process(
        [
            kit.event("Order Shipped", "ray", tracking_number="1", tracking_url="u"),
            kit.event("Order Shipped", "ann", tracking_number="2", tracking_url="u"),
        ]
    )
    kit.orch.run_due()
    assert kit.sent("email") == []
    [ray] = [m for m in kit.orch.messages(profile_id="ray").messages if m.step_id == "notice"]
    assert (ray.status, ray.reason) == ("skipped", "consent.channel: no email consent given")
    [ann] = kit.orch.messages(profile_id="ann").messages
    assert (ann.status, ann.due_at) == ("scheduled", until)
    del kit.gate.verdicts[("ann", "email")]
    assert kit.advance(timedelta(hours=8) - timedelta(seconds=1)) == 0
    kit.advance(timedelta(seconds=1))
    assert [m.payload["to"] for m in kit.sent("email")] == ["ann@example.com"]


def test_transient_failures_retry_with_backoff_then_fail(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    fail = Result(ok=False, transient=True, reason="SMTP 451: try later")
    kit.channels["email"].results = [fail, fail, fail]
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="u")])
    kit.orch.run_due()
    [m] = kit.orch.messages(profile_id="ray", statuses=["retrying"]).messages
    assert (m.attempts, m.reason) == (1, "SMTP 451: try later")
    assert m.due_at == T0 + timedelta(minutes=1)  # first backoff, no jitter in this kit
    kit.advance(timedelta(minutes=1))
    [m] = kit.orch.messages(profile_id="ray", statuses=["retrying"]).messages
    assert m.due_at == T0 + timedelta(minutes=3)  # doubled
    kit.advance(timedelta(minutes=2))
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.step_id == "notice"]
    assert (m.status, m.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in m.reason
    # every attempt carried the same key and the same rendered message
    keys = {o.key for o in kit.sent("email")}
    payloads = {msgspec.json.encode(o.payload) for o in kit.sent("email")}
    assert (len(kit.sent("email")), len(keys), len(payloads)) == (3, 1, 1)
    assert [o.attempt for o in kit.sent("email")] == [1, 2, 3]
    # the run goes on after a failed send
    kit.advance(timedelta(days=2))
    assert len(kit.sent("inbox")) == 1


def test_terminal_webhook_failures_are_dead_letters(build: Builder) -> None:
    flow = """\
id: hook
trigger: {event: Signed Up}
webhooks:
  crm: {url: "http://127.0.0.1:9/hook", secret: s3cret}
steps:
  - id: tell-crm
    send: {channel: webhook, target: crm, payload: {user: "{{ profile.id }}"}}
"""
    kit = build({"f.yaml": flow})
    kit.profiles.add("ray")
    kit.channels["webhook"].results = [Result(ok=False, reason="crm answered HTTP 410")]
    kit.orch.process([kit.event("Signed Up")])
    kit.orch.run_due()
    [dead] = kit.orch.dead_letters().messages
    assert (dead.status, dead.reason, dead.target) == ("dead", "crm answered HTTP 410", "crm")
    [hook] = kit.sent("webhook")
    assert hook.payload["body"]["data"] == {"user": "ray"}
    assert hook.payload["body"]["id"] == hook.key
    assert "secret" not in msgspec.json.encode(hook.payload).decode()


def test_unconfigured_webhook_targets_are_skipped_with_a_reason(build: Builder) -> None:
    flow = """\
id: hook
trigger: {event: Signed Up}
webhooks: {crm: {}}
steps:
  - id: tell-crm
    send: {channel: webhook, target: crm}
"""
    kit = build({"f.yaml": flow})
    kit.profiles.add("ray")
    kit.orch.process([kit.event("Signed Up")])
    kit.orch.run_due()
    [m] = kit.orch.messages(profile_id="ray").messages
    assert (m.status, m.reason) == (
        "skipped",
        "webhook.unconfigured: webhook target 'crm' has no URL",
    )
    assert kit.sent("webhook") == []


def test_stale_steps_after_downtime_follow_the_policy(build: Builder) -> None:
    flows = {
        "a.yaml": SHIPPED.replace("id: shipped", "id: skipper"),
        "b.yaml": SHIPPED.replace("id: shipped", "id: sender").replace(
            "trigger:", "stale: {after: 1h, policy: send}\ntrigger:"
        ),
    }
    kit = build(flows, stale=timedelta(hours=1), stale_policy="skip")
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="u")])
    kit.clock.advance(timedelta(hours=3))  # Waymark was down
    kit.orch.run_due()
    by_flow = {
        m.flow_id: m for m in kit.orch.messages(profile_id="ray").messages if m.step_id == "notice"
    }
    assert by_flow["sender"].status == "sent"
    assert by_flow["skipper"].status == "skipped"
    assert by_flow["skipper"].reason.startswith("stale: due 3.0 h")


def test_missed_steps_run_in_due_order(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    for i in range(5):
        kit.profiles.add(f"p{i}", email=f"p{i}@example.com", traits={"first_name": f"P{i}"})
    events = [
        kit.event(
            "Order Shipped",
            f"p{i}",
            at=T0 + timedelta(minutes=10 - i),
            tracking_number=str(i),
            tracking_url="u",
        )
        for i in range(5)
    ]
    kit.orch.process(events)
    kit.clock.advance(timedelta(hours=2))
    kit.orch.run_due()
    assert [o.payload["to"] for o in kit.sent("email")] == [
        f"p{i}@example.com" for i in reversed(range(5))
    ]


def test_reentry_once_and_replace(build: Builder) -> None:
    once = SHIPPED.replace("id: shipped", "id: once").replace("trigger:", "reentry: once\ntrigger:")
    replace = SHIPPED.replace("id: shipped", "id: replace").replace(
        "trigger:", "reentry: replace\ntrigger:"
    )
    kit = build({"a.yaml": once, "b.yaml": replace})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="u")])
    kit.orch.run_due()
    kit.clock.advance(timedelta(hours=1))
    kit.orch.process([kit.event("Order Shipped", tracking_number="2", tracking_url="u")])
    kit.orch.run_due()
    assert kit.orch.flow("once").runs == {"active": 1}
    assert kit.orch.flow("replace").runs == {"active": 1, "replaced": 1}
    kit.advance(timedelta(days=2))
    assert len(kit.sent("inbox")) == 2  # one per flow; the replaced run's inbox step never ran


def test_render_errors_fail_the_message_with_the_reason(build: Builder) -> None:
    flow = SHIPPED.replace("{{ first_name }}: ", "{{ nickname }}: ")
    kit = build({"f.yaml": flow})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="u")])
    kit.orch.run_due()
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.step_id == "notice"]
    assert m.status == "failed"
    assert "template.render_failed" in m.reason
    assert "nickname" in m.reason


def test_profiles_without_email_are_skipped(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", traits={"first_name": "Ray"})
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="u")])
    kit.orch.run_due()
    [m] = [m for m in kit.orch.messages(profile_id="ray").messages if m.step_id == "notice"]
    assert m.reason.startswith("email.no_address")


def test_decide_step_renders_the_chosen_experience(build: Builder) -> None:
    flow = """\
id: nbe
trigger: {event: Order Delivered}
steps:
  - id: pick
    send:
      channel: email
      decide: {placement: onboarding}
      subject: "{{ content.headline }}"
      text: "{{ content.body }} {{ content.url }}"
"""
    kit = build({"f.yaml": flow})
    kit.profiles.add("ray", email="ray@example.com")
    kit.profiles.add("ann", email="ann@example.com")
    kit.orch.process([kit.event("Order Delivered", "ray")])
    kit.orch.run_due()
    kit.decisions.content = None
    kit.orch.process([kit.event("Order Delivered", "ann")])
    kit.orch.run_due()
    [mail] = kit.sent("email")
    assert mail.payload["subject"] == "Hello"
    assert kit.decisions.calls == [("ray", "email", "onboarding"), ("ann", "email", "onboarding")]
    [ray] = kit.orch.messages(profile_id="ray").messages
    assert (ray.experience_id, ray.decision_id) == ("exp-1", "dec-1")
    [ann] = kit.orch.messages(profile_id="ann").messages
    assert ann.reason == "decide.nothing: no eligible experience"


def test_stage_changes_start_runs(build: Builder) -> None:
    flow = """\
id: bought
trigger: {stage: {model: hourglass, enter: purchase, product: genius-kit}}
steps:
  - id: hi
    send:
      channel: inbox
      title: "Thanks for buying {{ product }} ({{ stage.from }} to {{ stage.to }})"
"""
    kit = build({"f.yaml": flow})
    kit.profiles.add("ray")

    def change(to: str, product: str = "genius-kit", seq: int = 1) -> StageChanged:
        return StageChanged(
            model="hourglass",
            profile_id="ray",
            product=product,
            from_stage="justification",
            to_stage=to,
            phase="post_purchase",
            direction="forward",
            furthest=to,
            at=T0,
            seq=seq,
            message_id=f"m{seq}",
        )

    started = kit.orch.on_stage_changes(
        [change("purchase"), change("purchase", "starter-kit", 2), change("adoption", seq=3)]
    )
    assert started == 1
    kit.orch.run_due()
    [note] = kit.sent("inbox")
    assert note.payload["title"] == "Thanks for buying genius-kit (justification to purchase)"


def test_calendar_dates_reach_every_matching_profile_once(build: Builder) -> None:
    flow = """\
id: holidays
trigger:
  date: {every_year: "03-05", at: "10:00"}
  where: [{trait: customer, op: eq, value: true}]
steps:
  - id: card
    send: {channel: inbox, title: "Happy holidays {{ trigger.date }}"}
"""
    kit = build({"f.yaml": flow})
    kit.profiles.add("ray", traits={"customer": True})
    kit.profiles.add("ann", traits={"customer": False})
    kit.profiles.add("bob", traits={"customer": True})
    assert kit.orch.next_due() == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    kit.advance(timedelta(days=4))  # 03-05 12:00: two hours after the date
    assert sorted(o.profile_id for o in kit.sent("inbox")) == ["bob", "ray"]
    assert kit.sent("inbox")[0].payload["title"] == "Happy holidays 2026-03-05"
    assert kit.orch.next_due() == datetime(2027, 3, 5, 10, 0, tzinfo=UTC)
    kit.orch.reload()  # a restart ensures the calendar again: nothing doubles
    kit.advance(timedelta(days=1))
    assert len(kit.sent("inbox")) == 2


def test_trait_dates_and_audiences(build: Builder) -> None:
    trait = """\
id: trial
reentry: replace
trigger: {date: {trait: trial_ends, offset: -3d, at: "09:00"}}
steps:
  - id: remind
    send: {channel: inbox, title: "Your trial ends {{ trigger.date[:10] }}"}
"""
    audience = """\
id: vip
trigger: {audience: vips}
steps:
  - id: welcome
    send: {channel: inbox, title: Welcome to the club}
"""
    kit = build({"a.yaml": trait, "b.yaml": audience})
    kit.profiles.add("ray")
    identify = kit.event("x")
    identify = msgspec.structs.replace(
        identify, type="identify", event=None, traits={"trial_ends": "2026-03-10"}
    )
    kit.orch.process([identify])
    moved = msgspec.structs.replace(
        identify, message_id="other", traits={"trial_ends": "2026-03-20"}
    )
    kit.orch.process([moved])  # the trait moved: the earlier reminder is replaced
    assert kit.orch.next_due() == datetime(2026, 3, 17, 9, 0, tzinfo=UTC)
    kit.orch.on_audience_joined([AudienceJoined(profile_id="ray", audience="vips", at=T0)])
    kit.advance(timedelta(hours=1))
    kit.clock.set(datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    kit.orch.run_due()
    titles = sorted(o.payload["title"] for o in kit.sent("inbox"))
    assert titles == ["Welcome to the club", "Your trial ends 2026-03-20"]


def test_removed_flow_ends_its_runs(build: Builder) -> None:
    kit = build({"f.yaml": SHIPPED})
    kit.profiles.add("ray", email="ray@example.com", traits={"first_name": "Ray"})
    kit.orch.process([kit.event("Order Shipped", tracking_number="1", tracking_url="u")])
    (kit.flows_dir / "f.yaml").write_text(SHIPPED.replace("id: shipped", "id: renamed"))
    kit.orch.reload()
    assert kit.orch.run_due() == 1
    assert kit.sent("email") == []


def _recent(label: str, at: datetime):  # type: ignore[no-untyped-def]
    from waymark.orchestrate.contracts import RecentEvent

    return RecentEvent(label=label, at=at)
