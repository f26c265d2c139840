"""Account journeys and buying groups over real identity and journeys: the rules per model,
roles from titles, history, missing roles, persistence and restart."""

from __future__ import annotations

from tests.accounts._world import MODELS, World
from waymark.accounts.api import ROLES_SCHEMA, load_accounts_text
from waymark.accounts.contracts import AccountView, BuyingGroup
from waymark.store.memory.accounts import MemoryAccountStore


def _stage(view: AccountView, model: str = "hourglass", product: str = "kit") -> str:
    (journey,) = [j for j in view.journeys if j.model == model and j.product == product]
    return journey.stage


def _group(view: AccountView, model: str = "hourglass", product: str = "kit") -> BuyingGroup:
    (group,) = [g for g in view.buying_groups if g.model == model and g.product == product]
    return group


def _school() -> World:
    """Three people of one school at different paces (seed 003's justification question)."""
    w = World()
    w.identify("tia", 0, title="Science Teacher")
    w.identify("pat", 0, title="Principal")
    w.identify("bea", 0, title="School Bursar")
    for who in ("tia", "pat", "bea"):
        w.group(who, "hill", 0, name="Hill School", kind="school")
    w.track("tia", "Ad Clicked", 1)
    w.track("tia", "Product Viewed", 2)
    w.track("pat", "Guide Downloaded", 3)
    w.track("tia", "Quote Requested", 4)
    return w


def test_the_furthest_member_places_the_account_and_history_is_kept() -> None:
    view = _school().accounts.account("hill")
    assert view.name == "Hill School"
    assert view.kind == "school"
    assert _stage(view) == "justification"
    (journey,) = [j for j in view.journeys if j.model == "hourglass"]
    assert journey.rule == "furthest"
    assert [(t.from_stage, t.to_stage, t.at.day) for t in journey.history] == [
        (None, "engagement", 2),
        ("engagement", "evaluation", 3),
        ("evaluation", "justification", 5),
    ]


def test_roles_come_from_titles_through_the_patterns() -> None:
    view = _school().accounts.account("hill")
    roles = {m.profile_id: m.role for m in view.members}
    w = _school()
    assert roles == {
        w.profile("tia"): "user",
        w.profile("pat"): "decision_maker",
        w.profile("bea"): "finance",
    }


def test_the_buying_group_shows_who_is_where_and_what_is_missing() -> None:
    w = _school()
    group = _group(w.accounts.account("hill"))
    assert group.stage == "justification"
    # the bursar (finance) has no journey on the kit yet: nobody from finance is involved
    assert group.missing == ("finance",)
    by_stage = {s.stage: s for s in group.stages}
    assert by_stage["justification"].members == (w.profile("tia"),)
    assert by_stage["justification"].needed == ("finance", "decision_maker")
    assert by_stage["education"].roles == ("decision_maker",)
    w.track("bea", "Product Viewed", 6)
    assert _group(w.accounts.account("hill")).missing == ()


def test_majority_and_role_rules() -> None:
    text = """
roles:
  sources: [person.traits.title]
  patterns:
    finance: [bursar]
    decision_maker: [principal]
models:
  hourglass: {rule: 'role:decision_maker'}
  value-journey: {rule: majority}
"""
    w = World(load_accounts_text(text, file="t.yaml", models=MODELS))
    for who, title in (("tia", "Teacher"), ("pat", "Principal"), ("bea", "Bursar")):
        w.identify(who, 0, title=title)
        w.group(who, "hill", 0)
    w.track("tia", "Quote Requested", 1)  # hourglass justification; value journey nothing
    w.track("tia", "Product Viewed", 1)  # value journey: engage
    w.track("bea", "Product Viewed", 2)
    w.track("pat", "Guide Downloaded", 3)  # hourglass education; value journey subscribe
    view = w.accounts.account("hill")
    # the principal holds the decision: the account is where they are, not the furthest
    assert _stage(view, "hourglass") == "education"
    # two of three members are at engage
    assert _stage(view, "value-journey") == "engage"
    w.track("bea", "Guide Downloaded", 4)
    assert _stage(w.accounts.account("hill"), "value-journey") == "subscribe"


def test_the_role_rule_falls_back_to_furthest_when_nobody_holds_the_role() -> None:
    text = """
roles:
  patterns: {buyer: [procurement]}
models:
  hourglass: {rule: 'role:buyer'}
"""
    w = World(load_accounts_text(text, file="t.yaml", models=MODELS))
    w.group("tia", "hill", 0)
    w.group("pat", "hill", 0)
    w.track("tia", "Quote Requested", 1)
    w.track("pat", "Ad Clicked", 1)
    assert _stage(w.accounts.account("hill")) == "justification"


BUYER_RULE = """
roles:
  sources: [group.traits.role]
  patterns: {buyer: [procurement], user: [teacher]}
models:
  hourglass: {rule: 'role:buyer'}
"""


def _ann_becomes_the_buyer(store: MemoryAccountStore | None = None) -> World:
    """Ann, a teacher in March, becomes the school's buyer in June; Bob went further."""
    w = World(load_accounts_text(BUYER_RULE, file="t.yaml", models=MODELS), store=store)
    w.group("ann", "hill", 0, role="Teacher")
    w.group("bob", "hill", 0)
    w.track("ann", "Ad Clicked", 1)  # engagement
    w.track("bob", "Product Viewed", 2)  # evaluation
    w.track("bob", "Quote Requested", 4)  # justification
    w.group("ann", "hill", 92, role="Procurement")  # 1 June
    return w


def test_the_role_history_follows_the_furthest_until_the_role_appears_then_its_holder() -> None:
    w = _ann_becomes_the_buyer()
    view = w.accounts.account("hill")
    assert {m.profile_id: m.role for m in view.members}[w.profile("ann")] == "buyer"
    (journey,) = [j for j in view.journeys if j.model == "hourglass"]
    assert journey.rule == "role:buyer"
    # nobody was the buyer until June: the account followed Bob, the furthest; from June Ann
    assert [(t.from_stage, t.to_stage, t.at.date().isoformat()) for t in journey.history] == [
        (None, "engagement", "2026-03-02"),
        ("engagement", "evaluation", "2026-03-03"),
        ("evaluation", "justification", "2026-03-05"),
        ("justification", "engagement", "2026-06-01"),
    ]
    assert journey.stage == "engagement"


def test_roles_over_time_survive_a_restart() -> None:
    store = MemoryAccountStore()
    w = _ann_becomes_the_buyer(store)
    w.group("ann", "hill", 184, role="Teacher")  # September: Ann hands the buying on
    w.derived.flush()
    # a restart replays the log past the checkpoint into fresh identity and journeys: each
    # event re-derives the account from the stored memberships, so the roles' times must be
    # stored too (with only the latest role, Ann would never have been the buyer)
    again = World(w.accounts.config, store=store)
    for event in w.events:
        again.send(event)
    assert again.accounts.account("hill") == w.accounts.account("hill")


def test_accounts_stored_before_roles_over_time_keep_the_latest_role() -> None:
    store = MemoryAccountStore()
    w = _ann_becomes_the_buyer(store)
    w.derived.flush()
    # as an older version stored them: members with their latest role, no roles table rows
    older = store.load()._replace(roles=ROLES_SCHEMA.empty_table())
    store.replace_all(older, checkpoint=store.checkpoint())
    again = World(w.accounts.config, store=store)
    for event in w.events:
        again.send(event)
    view = again.accounts.account("hill")
    assert {m.profile_id: m.role for m in view.members}[again.profile("ann")] == "buyer"
    # the latest role holds from its call's time: the history is right from June on
    assert _stage(view) == "engagement"


def test_flush_and_restart_give_the_same_accounts() -> None:
    store = MemoryAccountStore()
    w = World(store=store)
    w.group("ann", "a", 0, name="Acme", role="CFO")
    w.track("ann", "Product Viewed", 1)
    w.derived.flush()
    assert store.checkpoint() == 2
    restarted = type(w.accounts)(
        w.accounts.config,
        MODELS,
        stages_of=w.journeys.states,
        traits_of=lambda _: {},
        store=store,
    )
    assert restarted.checkpoint() == 2
    assert restarted.account("a") == w.accounts.account("a")
    assert restarted.accounts_of(w.profile("ann")) == ["a"]


def test_the_page_filters_by_stage_and_product() -> None:
    w = _school()
    w.group("zed", "other", 0, name="Other School")
    w.track("zed", "Ad Clicked", 1, product="lab")
    everything = w.accounts.page()
    assert [a.id for a in everything.accounts] == ["hill", "other"]
    assert everything.accounts[0].members == 3
    assert [a.id for a in w.accounts.page(stage="justification").accounts] == ["hill"]
    assert [a.id for a in w.accounts.page(product="lab").accounts] == ["other"]
    assert w.accounts.page(stage="justification", product="lab").total == 0
    assert w.accounts.page(limit=1, offset=1).accounts[0].id == "other"
