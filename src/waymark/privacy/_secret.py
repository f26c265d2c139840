"""The per-installation secret that signs preference-centre links: 32 random bytes in the data
directory, created on first start with mode 0600 (owner only), so links survive restarts and
nothing outside the data directory has to be configured."""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from waymark.core.errors import ConfigError

SECRET_FILE = "preferences.key"
_BYTES = 32


def installation_secret(data_dir: Path) -> bytes:
    """The secret kept in ``data_dir``; created (atomically, 0600) when it is not there."""
    path = data_dir / SECRET_FILE
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}", field=str(path)) from None
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_hex(_BYTES))
    return _read(path)


def _read(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        text = path.read_text().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", field=str(path)) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        # anyone who reads it can open every customer's preference centre
        raise ConfigError(
            f"{path} must be readable by its owner only (chmod 600 {path})", field=str(path)
        )
    if len(text) < 2 * _BYTES:
        raise ConfigError(f"{path} is damaged: expected {2 * _BYTES} hex digits", field=str(path))
    return text.encode()
