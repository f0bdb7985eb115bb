"""API keys: random tokens, stored only as SHA-256 digests, compared in constant time."""

import hashlib
import hmac
import secrets

KEY_PREFIX = "tv_"
# Shown in listings so a key can be recognised without revealing it.
VISIBLE_CHARACTERS = 10


def new_api_key() -> str:
    """A fresh key with 256 bits of randomness."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    # A fast hash is right here: keys are random 256-bit tokens, not guessable passwords.
    return hashlib.sha256(key.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
