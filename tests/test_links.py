"""pause/links.py (signed export links) and channels/socketio.py's small helpers."""

import uuid

import pytest

from pause import links
from pause.settings import load_settings

SECRET = "test-secret-0123456789"
NOW = 1_700_000_000.0


# --- pause/links.py --------------------------------------------------------------------------


def test_sign_then_verify_returns_the_user() -> None:
    token = links.sign("alice-42", SECRET, 60, now=NOW)
    assert links.verify(token, SECRET, now=NOW + 59) == "alice-42"


def test_any_user_id_round_trips() -> None:
    for user in ["a", "e2e-0f3c.x_y", "ünï cødé/?&=", "x" * 300]:
        assert links.verify(links.sign(user, SECRET, 60, now=NOW), SECRET, now=NOW) == user


def test_expired_token_is_rejected() -> None:
    token = links.sign("alice", SECRET, 60, now=NOW)
    assert links.verify(token, SECRET, now=NOW + 60) is None
    assert links.verify(token, SECRET, now=NOW + 3600) is None


def test_wrong_secret_is_rejected() -> None:
    token = links.sign("alice", SECRET, 60, now=NOW)
    assert links.verify(token, "another-secret", now=NOW) is None
    assert links.verify(token, "", now=NOW) is None


def test_tampered_tokens_are_rejected() -> None:
    token = links.sign("alice", SECRET, 60, now=NOW)
    user, expires, mac = token.split(".")
    other_user = links.sign("bob", SECRET, 60, now=NOW).split(".")[0]
    tampered = [
        f"{other_user}.{expires}.{mac}",  # someone else's reflections
        f"{user}.{int(expires) + 3600}.{mac}",  # a longer life
        f"{user}.{expires}.{mac[:-2]}AA",
        f"{user}.{expires}.",
        f"{user}.{expires}",
        f"{token}.extra",
        "",
        "...",
        "not a token",
        f"{user}.{expires}.{mac}é",
    ]
    for bad in tampered:
        assert links.verify(bad, SECRET, now=NOW) is None, bad


def test_signing_needs_a_secret_a_user_and_a_lifetime() -> None:
    for user, secret, ttl in [("alice", "", 60), ("", SECRET, 60), ("alice", SECRET, 0)]:
        with pytest.raises(ValueError):
            links.sign(user, secret, ttl)


def test_export_url_uses_the_web_origin() -> None:
    default = load_settings({"WEB_PORT": "8123", "EXPORT_SECRET": SECRET})
    url = links.export_url(default, "alice", now=NOW)
    assert url.startswith("http://127.0.0.1:8123/export/")
    assert links.verify(url.rsplit("/", 1)[1], SECRET, now=NOW) == "alice"
    public = load_settings({"WEB_ORIGIN": "https://pause.example/", "EXPORT_SECRET": SECRET})
    assert links.export_url(public, "alice").startswith("https://pause.example/export/")


# --- channels/socketio.py ---------------------------------------------------------------------

def test_socket_io_allows_the_web_origin_only() -> None:
    from channels.socketio import OriginCheckedSocketIOInput, allowed_origins

    assert allowed_origins(load_settings({"WEB_PORT": "8123"})) == ["http://127.0.0.1:8123"]
    assert allowed_origins(load_settings({"WEB_ORIGIN": "https://pause.example/"})) == [
        "https://pause.example"]
    assert OriginCheckedSocketIOInput.name() == "socketio"


def test_only_signed_session_ids_are_accepted() -> None:
    from channels.socketio import session_id_from
    from pause import sessions

    signed = sessions.issue("key-1")
    assert session_id_from({"session_id": signed}, "key-1") == signed
    assert session_id_from({"session_id": signed}, "key-2") is None  # another server's
    nonce, _, signature = signed.partition(".")
    forged = f"{nonce[:-1]}{'A' if nonce[-1] != 'A' else 'B'}.{signature}"
    for odd in [None, {}, {"session_id": None}, {"session_id": uuid.uuid4().hex},
                {"session_id": forged}, {"session_id": signed + "x"},
                {"session_id": "../../etc/passwd"}, "text", {"session_id": 42}]:
        assert session_id_from(odd, "key-1") is None, odd
    assert sessions.issue("key-1") != signed  # random each time
    with pytest.raises(ValueError):
        sessions.issue("")


def test_an_offer_is_exchanged_for_a_new_session_id_and_is_never_one() -> None:
    from channels.socketio import session_id_from
    from pause import sessions

    offer = sessions.issue_offer("key-1")
    assert sessions.verify_offer(offer, "key-1") and not sessions.verify_offer(offer, "key-2")
    given = session_id_from({"session_id": offer}, "key-1")
    assert given is not None and sessions.verify(given, "key-1") == given
    assert session_id_from({"session_id": offer}, "key-1") != given  # a new one each time
    assert sessions.verify(offer, "key-1") is None  # an offer is not a session id...
    assert sessions.verify(offer[len("offer."):], "key-1") is None  # ...even without prefix
    assert not sessions.verify_offer(given, "key-1")  # and a session id is not an offer
    assert not sessions.verify_offer("offer." + given, "key-1")
    assert session_id_from({"session_id": offer}, "key-2") is None
