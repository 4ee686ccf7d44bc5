"""Local sign-in fallback for a single server: users and scrypt-hashed passwords in a JSON
file OUTSIDE the repository (``$OBSERVATOIRE_USERS``, default
``~/.config/observatoire/users.json``). When Streamlit's OIDC ``st.login`` is configured
(``[auth]`` in ``.streamlit/secrets.toml``), it is used instead."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from pathlib import Path

from observatoire import config

N, R, P = 2**14, 8, 1


def users_path() -> Path:
    return config.users_file()


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=32)
    return "scrypt$" + base64.b64encode(salt).decode() + "$" + base64.b64encode(digest).decode()


def verify_password(password: str, stored: str) -> bool:
    try:
        _, salt_b64, digest_b64 = stored.split("$")
    except ValueError:
        return False
    expected = hash_password(password, base64.b64decode(salt_b64)).split("$")[2]
    return hmac.compare_digest(expected, digest_b64)


def load_users(path: Path | None = None) -> dict[str, str]:
    path = path or users_path()
    if not path.exists():
        return {}
    return json.loads(path.read_text())


def add_user(name: str, password: str, path: Path | None = None) -> None:
    path = path or users_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    users = load_users(path)
    users[name] = hash_password(password)
    path.write_text(json.dumps(users, indent=1))
    path.chmod(0o600)


def check(name: str, password: str, path: Path | None = None) -> bool:
    stored = load_users(path).get(name)
    return bool(stored) and verify_password(password, stored)
