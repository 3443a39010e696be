"""Roles: every API token carries one; each route is refused (403, JSON)
to a role without its permission; the board shows full numbers only to a
role that may see them; the older token settings keep exactly their rights
and are said to be deprecated; the command line picks a token that may."""

from __future__ import annotations

import pytest

from ari_app.app import init_app
from ari_app.roles import (ROLES, UNSCOPED, Permission, TokenError, admitting, deprecations,
                           grants, may, parse_entry)
from ari_app.settings import HttpSettings, Settings, SettingsError, load_settings
from ari_app.web.auth import ROUTES
from tests.expected_roles import ROUTE_ROLES
from tests.unit.test_app_factory import fakes

TOKENS = {role: f"{role}-token-0123456789abcdef" for role in ROLES}
LEGACY = "legacy-token-0123456789abcdef"
FORMER_SUPERVISOR = "former-supervisor-0123456789"

# Every protected route with a request it takes, and the roles that may.
REQUESTS = {(m, path.replace("{id}", "cb1").replace("{name}", "desk-179666804014")): roles
            for (m, path), roles in ROUTE_ROLES.items()}
SEAT_OF = {"specialist": "/8601"}   # a specialist's token names its seat


def _settings(**http) -> Settings:
    return Settings(http=HttpSettings(**http))


@pytest.fixture
async def client(aiohttp_client):
    entries = tuple(f"{role}{SEAT_OF.get(role, '')}:{token}"
                    for role, token in TOKENS.items()) + (LEGACY,)
    return await aiohttp_client(init_app(_settings(tokens=entries,
                                                   supervisor_tokens=(FORMER_SUPERVISOR,)),
                                         fakes()))


def test_every_route_the_app_serves_is_in_the_table_of_permissions():
    app = init_app(_settings(), fakes())
    served = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.method != "HEAD" and r.resource.canonical not in ("/livez", "/readyz",
                                                                       "/healthz")}
    # A route narrowed by a query parameter (?number=) is a row of its own.
    assert served == {(m, r.partition("?")[0]) for m, r in ROUTES} == \
        {(m, r.partition("?")[0]) for m, r in ROUTE_ROLES}
    assert set(ROUTES) == set(ROUTE_ROLES)
    admitted = {route: set(admitting(wanted)) for route, wanted in ROUTES.items()}
    assert admitted == ROUTE_ROLES


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("method, path", list(REQUESTS))
async def test_each_role_is_refused_outside_its_role_with_a_json_403(client, role, method,
                                                                     path):
    body = {"number": "13800138000"} if method == "POST" else None
    resp = await client.request(method, path, json=body,
                                headers={"Authorization": f"Bearer {TOKENS[role]}"})
    if role in REQUESTS[(method, path)]:
        assert resp.status != 403 and resp.status != 401, (role, method, path, resp.status)
        resp.close()   # the event stream would go on
        return
    if resp.status != 403:
        resp.close()   # an event stream must not hold the test
    assert resp.status == 403, (role, method, path, resp.status)
    answer = await resp.json()
    assert set(answer) == {"error"} and f"({role})" in answer["error"]
    assert "admin" in answer["error"] and TOKENS[role] not in answer["error"]


async def test_a_query_token_is_refused_outside_its_role_too(client):
    resp = await client.get(f"/reports?access_token={TOKENS['wallboard']}")
    assert resp.status == 403
    resp = await client.get(f"/wallboard?access_token={TOKENS['relay']}")
    assert resp.status == 403


async def test_no_token_or_a_wrong_one_is_still_a_401_before_any_role(client):
    for headers in ({}, {"Authorization": "Bearer not-a-token-0123456789"}):
        resp = await client.get("/api/reports", headers=headers)
        assert resp.status == 401 and resp.headers["WWW-Authenticate"].startswith("Bearer")


async def test_the_older_forms_keep_exactly_the_rights_they_had(client):
    """A token without a role: every route it had, numbers masked on the
    board, and none of the recordings' routes, which came after it (a
    customer's voice is not for a token nobody scoped); a former supervisor
    token: every route and full numbers (admin)."""
    for token in (LEGACY, FORMER_SUPERVISOR):
        for (method, path) in REQUESTS:
            if method != "GET" or path.endswith("/events"):
                continue
            resp = await client.get(path, headers={"Authorization": f"Bearer {token}"})
            later = path.startswith(("/api/recordings", "/quality"))
            if token == LEGACY and later:
                assert resp.status == 403, path
            else:
                assert resp.status not in (401, 403), (token, path)
    assert not may(UNSCOPED, Permission.NUMBERS) and may("admin", Permission.NUMBERS)
    assert [g.role for g in grants((LEGACY,), (FORMER_SUPERVISOR,))] == [UNSCOPED, "admin"]
    assert [g.role for g in grants((LEGACY,), (LEGACY,))] == ["admin"]  # listed in both


def test_full_numbers_on_the_board_only_for_roles_that_may():
    assert {r for r in ROLES if may(r, Permission.NUMBERS)} == {"supervisor", "admin"}


@pytest.mark.parametrize("entry, role", [
    ("wallboard:abcdefghijklmnop", "wallboard"), ("admin:abc:defghijklmnopq", "admin"),
    ("abcdefghijklmnopq", UNSCOPED), ("ABCDEF:ghijklmnopqrstu", UNSCOPED),
    ("  relay:abcdefghijklmnop ", "relay")])
def test_an_entry_is_role_colon_token_or_a_bare_token(entry, role):
    assert parse_entry(entry).role == role


@pytest.mark.parametrize("entry, said", [
    ("wallbord:abcdefghijklmnop", "unknown role 'wallbord'"),   # a typo never widens
    ("wallboard:short", "at least 16 characters"),
    ("short", "at least 16 characters")])
def test_an_unknown_role_or_a_short_token_is_refused(entry, said):
    with pytest.raises(TokenError, match=said):
        parse_entry(entry)


def test_one_token_with_two_roles_is_refused():
    with pytest.raises(TokenError, match="two roles"):
        grants(("wallboard:abcdefghijklmnop", "admin:abcdefghijklmnop"))


def test_settings_name_the_key_and_line_and_never_the_token(tmp_path):
    cfg = tmp_path / "datadesk.toml"
    cfg.write_text('[http]\nport = 8680\ntokens = ["wallbord:s3cret-0123456789abcdef"]\n')
    with pytest.raises(SettingsError) as refused:
        load_settings(cfg, env={})
    assert str(refused.value).startswith(f"{cfg}:3: [http] tokens: unknown role 'wallbord'")
    assert "s3cret" not in str(refused.value)
    env = {"DATADESK_API_TOKENS": "wallboard:aaaaaaaaaaaaaaaa, admin:bbbbbbbbbbbbbbbb",
           "DATADESK_SUPERVISOR_TOKENS": "cccccccccccccccc"}
    settings = load_settings(None, env=env)
    assert [(g.role, g.token) for g in grants(settings.http.tokens,
                                              settings.http.supervisor_tokens)] == [
        ("wallboard", "a" * 16), ("admin", "b" * 16), ("admin", "c" * 16)]


def test_the_deprecated_forms_are_named_with_their_replacement():
    said = deprecations(("abcdefghijklmnopq", "admin:abcdefghijklmnopqr"), ("s" * 16,))
    assert len(said) == 2 and "1 token(s) without a role" in said[0]
    assert "wallboard:TOKEN" in said[0] and "supervisor:TOKEN" in said[1]
    assert deprecations(("admin:abcdefghijklmnopqr",), ()) == []


def test_the_command_line_uses_a_token_whose_role_may(monkeypatch):
    from ari_app.cli_api import token_for as _token
    monkeypatch.delenv("DATADESK_API_TOKEN", raising=False)
    settings = _settings(tokens=(f"wallboard:{TOKENS['wallboard']}",
                                 f"supervisor:{TOKENS['supervisor']}"))
    assert _token(settings, Permission.SEATS) == TOKENS["wallboard"]
    assert _token(settings, Permission.REPORTS) == TOKENS["supervisor"]
    assert _token(settings, Permission.REGISTER) == TOKENS["wallboard"]  # none may: the 403 says
    monkeypatch.setenv("DATADESK_API_TOKEN", f"relay:{TOKENS['relay']}")
    assert _token(settings, Permission.REPORTS) == TOKENS["relay"]       # the operator's choice
