"""Every accounts store backend runs the same suite: DuckDB and the in-memory reference."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tests.store.conftest import BACKENDS
from waymark.accounts.api import (
    JOURNEYS_SCHEMA,
    MEMBERS_SCHEMA,
    ROLES_SCHEMA,
    TRAITS_SCHEMA,
    AccountStore,
    AccountTables,
)
from waymark.store.duckdb.store import DuckDBStore
from waymark.store.memory.accounts import MemoryAccountStore

D = datetime(2026, 3, 1, 9, 30)
LATER = datetime(2026, 6, 1, 9, 30)


@pytest.fixture(params=BACKENDS)
def accounts(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AccountStore]:
    if request.param == "memory":
        yield MemoryAccountStore()
        return
    store = DuckDBStore(tmp_path / "data")
    yield store.accounts
    store.close()


def _tables(*accounts: str, members: int = 2) -> AccountTables:
    return AccountTables(
        pa.Table.from_pylist(
            [
                {
                    "account_id": a,
                    "profile_id": f"{a}-p{i}",
                    "joined_at": D,
                    "group_role": "CFO" if i == 0 else None,
                    "role_at": LATER if i == 0 else None,
                    "role_seq": 7 if i == 0 else None,
                }
                for a in accounts
                for i in range(members)
            ],
            MEMBERS_SCHEMA,
        ),
        pa.Table.from_pylist(
            [
                {"account_id": a, "key": "name", "value": f'"{a} Ltd"', "at": D, "seq": 1}
                for a in accounts
            ],
            TRAITS_SCHEMA,
        ),
        pa.Table.from_pylist(
            [
                {
                    "account_id": a,
                    "model": "hourglass",
                    "product": "kit",
                    "n": n,
                    "from_stage": frm,
                    "to_stage": to,
                    "at": D,
                }
                for a in accounts
                for n, (frm, to) in enumerate([(None, "research"), ("research", "evaluation")])
            ],
            JOURNEYS_SCHEMA,
        ),
        pa.Table.from_pylist(
            [  # the first member was a teacher, then the CFO
                {"account_id": a, "profile_id": f"{a}-p0", "role": role, "at": at, "seq": seq}
                for a in accounts
                for role, at, seq in [("Teacher", D, 3), ("CFO", LATER, 7)]
                if members
            ],
            ROLES_SCHEMA,
        ),
    )


def _key(row: dict[str, object]) -> list[str]:
    return [str(v) for v in row.values()]


def _rows(tables: AccountTables) -> list[list[dict[str, object]]]:
    return [sorted(t.to_pylist(), key=_key) for t in tables]


def test_an_empty_store_has_nothing_and_checkpoint_zero(accounts: AccountStore) -> None:
    assert accounts.checkpoint() == 0
    loaded = accounts.load()
    assert all(t.num_rows == 0 for t in loaded)
    assert [t.schema for t in loaded] == [
        MEMBERS_SCHEMA,
        TRAITS_SCHEMA,
        JOURNEYS_SCHEMA,
        ROLES_SCHEMA,
    ]


def test_save_replaces_only_the_named_accounts(accounts: AccountStore) -> None:
    accounts.save(accounts=["a", "b"], tables=_tables("a", "b"), checkpoint=5)
    assert accounts.checkpoint() == 5
    assert _rows(accounts.load()) == _rows(_tables("a", "b"))
    # "a" now has one member; "b" is untouched; "c" is new
    accounts.save(accounts=["a", "c"], tables=_tables("a", "c", members=1), checkpoint=9)
    assert accounts.checkpoint() == 9
    want = [
        sorted(x + y, key=_key)
        for x, y in zip(_rows(_tables("a", "c", members=1)), _rows(_tables("b")), strict=True)
    ]
    assert _rows(accounts.load()) == want


def test_an_account_saved_without_rows_is_deleted(accounts: AccountStore) -> None:
    accounts.save(accounts=["a", "b"], tables=_tables("a", "b"), checkpoint=2)
    accounts.save(accounts=["a"], tables=_tables(), checkpoint=3)
    assert _rows(accounts.load()) == _rows(_tables("b"))


def test_replace_all_replaces_everything(accounts: AccountStore) -> None:
    accounts.save(accounts=["a", "b"], tables=_tables("a", "b"), checkpoint=2)
    accounts.replace_all(_tables("z"), checkpoint=7)
    assert accounts.checkpoint() == 7
    assert _rows(accounts.load()) == _rows(_tables("z"))


def test_duckdb_keeps_accounts_across_a_reopen(tmp_path: Path) -> None:
    store = DuckDBStore(tmp_path / "data")
    store.accounts.save(accounts=["a"], tables=_tables("a"), checkpoint=4)
    store.close()
    again = DuckDBStore(tmp_path / "data", read_only=True)
    try:
        assert again.accounts.checkpoint() == 4
        assert _rows(again.accounts.load()) == _rows(_tables("a"))
    finally:
        again.close()


def test_a_read_only_open_of_a_file_without_the_roles_table_reads_no_roles(
    tmp_path: Path,
) -> None:
    store = DuckDBStore(tmp_path / "data")
    store.accounts.save(accounts=["a"], tables=_tables("a"), checkpoint=4)
    store.db.execute("DROP TABLE account_roles")  # as a version before role history wrote it
    store.close()
    again = DuckDBStore(tmp_path / "data", read_only=True)
    try:
        loaded = again.accounts.load()
        assert _rows(loaded)[:3] == _rows(_tables("a"))[:3]
        assert loaded.roles.num_rows == 0
        assert loaded.roles.schema == ROLES_SCHEMA
    finally:
        again.close()
    # the next read-write open adds the table, and the roles are kept from then on
    store = DuckDBStore(tmp_path / "data")
    try:
        assert store.accounts.load().roles.num_rows == 0
        store.accounts.save(accounts=["a"], tables=_tables("a"), checkpoint=5)
        assert _rows(store.accounts.load()) == _rows(_tables("a"))
    finally:
        store.close()
