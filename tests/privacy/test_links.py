"""Preference-centre tokens, the installation secret and the settings they come from."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from waymark.core.errors import ConfigError
from waymark.privacy._secret import SECRET_FILE, installation_secret
from waymark.privacy._tokens import LinkTokens
from waymark.privacy.config import PrivacyConfig
from waymark.privacy.errors import BadLink

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKENS = LinkTokens(b"k" * 32)
DAY = timedelta(days=1)


@given(st.text(min_size=1, max_size=40))
def test_a_token_carries_its_profile_until_it_expires(profile_id: str) -> None:
    token, issued = TOKENS.issue(profile_id, now=NOW, ttl=DAY)
    claims = TOKENS.verify(token, now=NOW + DAY - timedelta(seconds=1))
    assert claims == issued
    assert claims.profile_id == profile_id
    assert claims.expires_at == NOW + DAY
    with pytest.raises(BadLink) as info:
        TOKENS.verify(token, now=NOW + DAY)
    assert info.value.reason == "expired"


@given(st.data())
def test_any_changed_character_is_refused(data: st.DataObject) -> None:
    token, _ = TOKENS.issue("p_1234", now=NOW, ttl=DAY)
    at = data.draw(st.integers(0, len(token) - 1))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=%/"
    new = data.draw(st.sampled_from(alphabet).filter(lambda c: c != token[at]))
    changed = token[:at] + new + token[at + 1 :]
    with pytest.raises(BadLink) as info:
        TOKENS.verify(changed, now=NOW)
    assert info.value.reason in ("malformed", "forged")


def test_the_last_characters_unused_bits_cannot_make_a_second_valid_link() -> None:
    # the tag's last base64 character carries 2 unused bits: three other characters decode to
    # the same bytes, and each must still be refused (found by the property above, by chance)
    token, _ = TOKENS.issue("p_1234", now=NOW, ttl=DAY)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    for new in alphabet.replace(token[-1], ""):
        with pytest.raises(BadLink):
            TOKENS.verify(token[:-1] + new, now=NOW)


def test_another_installation_and_the_form_key() -> None:
    token, claims = TOKENS.issue("p_1", now=NOW, ttl=DAY)
    with pytest.raises(BadLink) as info:
        LinkTokens(b"o" * 32).verify(token, now=NOW)
    assert info.value.reason == "forged"
    _, other = TOKENS.issue("p_1", now=NOW, ttl=DAY)
    assert TOKENS.check_form_key(claims, TOKENS.form_key(claims))
    assert not TOKENS.check_form_key(claims, TOKENS.form_key(other))
    assert not LinkTokens(b"o" * 32).check_form_key(claims, TOKENS.form_key(claims))


def test_the_installation_secret_is_private_and_kept(tmp_path: Path) -> None:
    first = installation_secret(tmp_path / "data")
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert installation_secret(tmp_path / "data") == first  # created once, then read
    assert installation_secret(tmp_path / "other") != first
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError) as info:
        installation_secret(tmp_path / "data")
    assert SECRET_FILE in str(info.value)
    os.chmod(path, 0o600)
    path.write_text("short")
    with pytest.raises(ConfigError, match="damaged"):
        installation_secret(tmp_path / "data")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("WAYMARK_PUBLIC_URL", "ftp://example.org"),
        ("WAYMARK_PUBLIC_URL", "https://"),
        ("WAYMARK_PUBLIC_URL", "https://example.org/?x=1"),
        ("WAYMARK_PREFERENCES_SECRET", "too-short"),
        ("WAYMARK_PREFERENCES_LINK_DAYS", "soon"),
        ("WAYMARK_PREFERENCES_LINK_DAYS", "-1"),
        ("WAYMARK_PRIVACY_DEADLINE_DAYS", "0"),
    ],
)
def test_bad_settings_name_the_field(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        PrivacyConfig.from_env({name: value})
    assert info.value.details["field"] == name
    assert name in str(info.value)


def test_settings() -> None:
    config = PrivacyConfig.from_env(
        {
            "WAYMARK_PUBLIC_URL": "https://prefs.example.org/",
            "WAYMARK_PREFERENCES_LINK_DAYS": "7",
            "WAYMARK_PREFERENCES_SECRET": "s" * 40,
        }
    )
    assert config.public_url == "https://prefs.example.org"
    assert config.link_ttl == timedelta(days=7)
    assert config.secret is not None and config.secret.reveal() == "s" * 40
    assert "s" * 40 not in repr(config)
