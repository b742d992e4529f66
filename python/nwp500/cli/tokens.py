"""Sign-in tokens kept between runs of the command, so it does not sign in every time.

One file, ``$XDG_CACHE_HOME/nwp500/tokens.json`` (``~/.cache/nwp500/tokens.json`` without
``XDG_CACHE_HOME``): the account e-mail, the REST base URL the tokens belong to, and the
tokens (``AuthTokens.to_dict()`` plus the AWS credentials' own expiry). The directory is
created private (0700), the file is written private (0600) and atomically (a temporary file
in the same directory, then ``os.replace``), so a crash never leaves half a file and no other
user can read it. Tokens are reused only for the same e-mail and base URL. Nothing here logs
or prints a token.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from ..models import AuthTokens

__all__ = ["TOKEN_FILE_NAME", "cache_dir", "token_path", "load_tokens", "save_tokens", "forget_tokens"]

_log = logging.getLogger("nwp500.cli.tokens")

TOKEN_FILE_NAME = "tokens.json"


def cache_dir() -> Path:
    """The command's cache directory: ``$XDG_CACHE_HOME/nwp500`` or ``~/.cache/nwp500``.

    A relative ``XDG_CACHE_HOME`` is ignored, as the XDG base directory specification says."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "nwp500"


def token_path() -> Path:
    """Where the tokens are kept (see :func:`cache_dir`)."""
    return cache_dir() / TOKEN_FILE_NAME


def load_tokens(email: str | None, base_url: str) -> tuple[AuthTokens | None, str | None]:
    """The stored tokens and their e-mail, if they were issued by ``base_url`` for ``email``
    (any e-mail when ``email`` is ``None``); ``(None, None)`` otherwise or when the file is
    missing or unreadable (then the command simply signs in)."""
    path = token_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, None
    except (OSError, ValueError) as exc:
        _log.warning("ignoring the stored tokens (%s): %s", path, type(exc).__name__)
        return None, None
    if not isinstance(data, dict) or not isinstance(data.get("tokens"), dict):
        _log.warning("ignoring the stored tokens (%s): not a token file", path)
        return None, None
    stored_email = data.get("email")
    if not isinstance(stored_email, str) or not stored_email:
        return None, None
    if data.get("base_url") != base_url:
        _log.info("stored tokens are for another server; signing in")
        return None, None
    if email is not None and email.strip().lower() != stored_email.lower():
        _log.info("stored tokens are for another account; signing in")
        return None, None
    try:
        tokens = AuthTokens.from_dict(data["tokens"])
        aws_expires_at = data.get("aws_expires_at")
        if isinstance(aws_expires_at, str):
            tokens = tokens.model_copy(update={"aws_expires_at": datetime.fromisoformat(aws_expires_at)})
    except (TypeError, ValueError, KeyError) as exc:
        _log.warning("ignoring the stored tokens (%s): %s", path, type(exc).__name__)
        return None, None
    return tokens, stored_email


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if (path.stat().st_mode & 0o777) != 0o700:
        os.chmod(path, 0o700)


def save_tokens(tokens: AuthTokens, email: str, base_url: str) -> Path | None:
    """Store ``tokens`` for ``email`` at ``base_url`` (file 0600, directory 0700, atomic
    replace); returns the file's path, or ``None`` if it could not be written (the command
    goes on: it will sign in again next time)."""
    record: dict[str, Any] = {"email": email, "base_url": base_url, "tokens": tokens.to_dict()}
    if tokens.aws_expires_at is not None:
        record["aws_expires_at"] = tokens.aws_expires_at.isoformat()
    path = token_path()
    tmp: str | None = None
    try:
        _private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".tokens-", suffix=".tmp", dir=path.parent)  # created 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        _log.warning("could not store the sign-in tokens in %s: %s", path.parent, exc.strerror or exc)
        return None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    _log.debug("tokens stored in %s", path)
    return path


def forget_tokens() -> None:
    """Remove the stored tokens (after the server refused them)."""
    try:
        token_path().unlink()
    except OSError:
        pass
