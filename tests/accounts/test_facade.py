"""The facade other features code against: accounts_of, member_ids, account_traits, subscribe
(over real identity and journeys, chained as the pipeline chains them)."""

from __future__ import annotations

from tests.accounts._world import World


def test_a_group_call_attaches_the_person_with_the_accounts_traits() -> None:
    w = World()
    w.group("ann", "school-1", 0, name="Hill School", kind="school", size=40)
    w.group("bob", "school-1", 1, name="Hill Academy")
    w.group("bob", "firm-2", 1, name="Acme", kind="company")
    ann, bob = w.profile("ann"), w.profile("bob")
    assert w.accounts.accounts_of(ann) == ["school-1"]
    assert w.accounts.accounts_of(bob) == ["firm-2", "school-1"]
    assert w.accounts.member_ids("school-1") == sorted([ann, bob])
    assert w.accounts.account_traits("school-1") == {
        "kind": "school",
        "name": "Hill Academy",
        "size": 40,
    }
    assert w.accounts.member_ids("nowhere") == []
    assert w.accounts.account_traits("nowhere") == {}


def test_traits_are_last_write_wins_by_event_time_not_arrival() -> None:
    w = World()
    w.group("ann", "a", 5, name="New Name")
    w.group("ann", "a", 1, name="Old Name", industry="education")  # arrives late, older
    assert w.accounts.account_traits("a") == {"name": "New Name", "industry": "education"}


def test_the_role_trait_of_a_group_call_is_the_members_role_not_an_account_trait() -> None:
    w = World()
    w.group("ann", "a", 0, name="Acme", role="CFO")
    assert w.accounts.account_traits("a") == {"name": "Acme"}
    (member,) = w.accounts.account("a").members
    assert member.role == "finance"


def test_an_identity_merge_moves_memberships_to_the_surviving_profile() -> None:
    w = World()
    w.group("anon-1", "a", 0)
    w.group("ann", "b", 1)
    anon, ann = w.profile("anon-1"), w.profile("ann")
    assert anon != ann
    w.send(w._event("ann", 2, type="identify", anonymous_id="anon-1"))
    survivor = w.profile("ann")
    assert w.identity.canonical(anon) == survivor
    assert w.accounts.accounts_of(survivor) == ["a", "b"]
    gone = anon if survivor == ann else ann
    assert w.accounts.accounts_of(gone) == []
    assert w.accounts.member_ids("a") == [survivor]
    assert w.accounts.member_ids("b") == [survivor]


def test_listeners_hear_of_membership_and_stage_changes() -> None:
    w = World()
    heard: list[list[str]] = []
    w.accounts.subscribe(heard.append)
    w.group("ann", "a", 0)
    assert heard == [["a"]]
    w.track("ann", "Product Viewed", 1)  # ann enters evaluation: so does the account
    assert heard[-1] == ["a"]
    assert [j.stage for j in w.accounts.account("a").journeys if j.model == "hourglass"] == [
        "evaluation"
    ]
    count = len(heard)
    w.track("bob", "Product Viewed", 2)  # not a member: no account changes
    assert len(heard) == count
