"""``waymark profile`` through the real entry point, on a data directory no server holds."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.identity._gen import event
from waymark.cli.main import main
from waymark.identity.api import IdentityService
from waymark.store.duckdb.identity import DuckDBProfileStore
from waymark.store.duckdb.store import DuckDBStore


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    """Through the real entry point, in a new process."""
    return subprocess.run(
        [sys.executable, "-m", "waymark.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


class _Done(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_here(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., _Done]:
    """``main()`` in this process (a new process per call costs seconds of imports)."""

    def run(*args: str) -> _Done:
        monkeypatch.setattr(sys, "argv", ["waymark", *args])
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return _Done(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "data"
    store = DuckDBStore(path)
    store.events.append(
        [
            event(1, anonymous_id="web-1", channel="web"),
            event(
                2,
                type="identify",
                user_id="ray",
                anonymous_id="web-1",
                traits={"email": "Ray@Example.com", "plan": "genius"},
            ),
            event(
                3,
                anonymous_id="call-9",
                traits={"phone": "+44 7700 900123"},
                type="identify",
                channel="call_centre",
            ),
            event(4, type="identify", user_id="ray", traits={"phone": "+447700900123"}),
        ]
    )
    identity = IdentityService(store=DuckDBProfileStore(store.db))
    identity.observe(store.events.events_after(0))
    identity.flush()
    store.events.append([event(5, user_id="ray")])  # logged after the last flush
    store.close()
    return path


@pytest.mark.slow
def test_profile_by_email_prints_tables(data_dir: Path) -> None:
    done = _run("profile", "--email", " RAY@example.com", "--data", str(data_dir))
    assert done.returncode == 0, done.stderr
    for text in (
        "Identities",
        "ray@example.com",
        "+447700900123",
        "call-9",
        "genius",
        "Latest 5 events",
        "call_centre",
    ):
        assert text in done.stdout
    # the event logged after the flush is in the timeline, and the staleness is said
    assert "do not include the latest 1 events" in " ".join(done.stderr.split())


def test_profile_json_by_custom_identifier_and_by_id(
    data_dir: Path, run_here: Callable[..., _Done]
) -> None:
    by_phone = run_here(
        "profile", "--identifier", "phone=07700 900123", "--json", "--data", str(data_dir)
    )
    assert by_phone.returncode == 2  # no region configured: a national number is not E.164
    assert by_phone.stderr.splitlines()[-1].startswith("error: no profile with phone")
    done = run_here("profile", "--phone", "+44 7700 900123", "--json", "--data", str(data_dir))
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    pid = payload["profile"]["id"]
    assert [e["message_id"] for e in payload["events"]] == ["m5", "m4", "m3", "m2", "m1"]
    again = run_here("profile", "--id", pid, "--json", "--limit", "1", "--data", str(data_dir))
    assert json.loads(again.stdout)["profile"] == payload["profile"]
    assert len(json.loads(again.stdout)["events"]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: give one identifier"),
        (("--email", "a@b.c", "--user-id", "u"), "error: give one identifier"),
        (("--identifier", "crm_id"), "error: --identifier takes TYPE=VALUE"),
        (("--identifier", "fax=1"), "error: unknown identifier type 'fax'"),
        (("--user-id", "nobody"), "error: no profile with user_id 'nobody'"),
    ],
)
def test_bad_input_is_one_line(
    data_dir: Path, run_here: Callable[..., _Done], args: tuple[str, ...], message: str
) -> None:
    done = run_here("profile", *args, "--data", str(data_dir))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines()[-1].startswith(message)
    assert "Traceback" not in done.stderr
