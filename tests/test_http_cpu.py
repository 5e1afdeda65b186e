"""What the runner's CPU cuts in core/http.py (issue 21) must leave as it was: the HTTP log's
path and query, and the cookies a service sets and gets back."""

from __future__ import annotations

from pathlib import Path

import httpx

from core.http import HttpService, ServiceConfig
from core.httplog import HttpLog
from core.redact import redactor
from core.store import Store


async def test_the_http_log_keeps_the_path_unquoted_and_the_query_redacted(
    tmp_path: Path,
) -> None:
    redactor.add("kundehemmelighet")

    def server(request: httpx.Request) -> httpx.Response:  # a remote service
        return httpx.Response(200, json={"ok": True})

    with Store(tmp_path / "duvi.db") as store:
        log = HttpLog(store)
        service = HttpService(
            ServiceConfig("visma", "https://visma.test/api"),
            transport=httpx.MockTransport(server),
            http_log=log,
        )
        try:
            await service.request(
                "GET",
                "/v2/customer/kundehemmelighet/%C3%A6%20b",
                params={"access_token": "x1y2z3w4", "pageNumber": 2, "q": "a&b"},
            )
            await service.request("GET", "/v2/vat")
        finally:
            await service.aclose()
        log.flush()
        paths = [r["path"] for r in store.query("SELECT path FROM http_calls ORDER BY id")]
    assert paths == [
        "/api/v2/customer/***/æ b?access_token=%2A%2A%2A&pageNumber=2&q=a%26b",
        "/api/v2/vat",
    ]


async def test_a_cookie_a_service_sets_is_sent_back_until_it_is_replaced() -> None:
    sent: list[str | None] = []
    answers = iter(
        [
            {"set-cookie": "affinity=one; Path=/"},
            {},  # no cookie set: the jar keeps what it has
            {"set-cookie": "affinity=two; Path=/"},
            {"Set-Cookie": "other=three; Path=/v2"},
            {},
            {},
        ]
    )

    def server(request: httpx.Request) -> httpx.Response:  # a remote service
        sent.append(request.headers.get("cookie"))
        return httpx.Response(200, headers=next(answers), json=[])

    service = HttpService(
        ServiceConfig("visma", "https://visma.test"), transport=httpx.MockTransport(server)
    )
    try:
        for path in ("/v2/a", "/v2/b", "/v2/c", "/v2/d", "/v2/e"):
            await service.request("GET", path)
        service.client.cookies = {"given": "yes"}
        await service.request("GET", "/v2/f")
    finally:
        await service.aclose()
    assert sent == [
        None,
        "affinity=one",
        "affinity=one",
        "affinity=two",
        "other=three; affinity=two",
        "given=yes",
    ]


def test_every_secret_name_in_a_json_body_is_masked_in_any_case() -> None:
    """The quick look for secret names (core/redact.py) finds each of them."""
    import json

    from core.redact import SECRET_NAMES

    for name in sorted(SECRET_NAMES):
        for key in (name, name.upper(), name.title()):
            body = {"rows": [{"id": 1, key: "visible?"}], "n": "ø"}
            assert redactor.dumps(body) == json.dumps(
                {"rows": [{"id": 1, key: "***"}], "n": "ø"}, ensure_ascii=False
            )
    assert redactor.dumps({"tok": "en", "pass": "word"}) == '{"tok": "en", "pass": "word"}'


def test_values_are_found_beside_any_character_by_the_quick_path_and_the_slow_one() -> None:
    """A value stands between any characters (outside ASCII too); values made of ASCII
    without spaces take the quick path (bytes.translate), others the regular expression."""
    from core.redact import Redactor

    quick = Redactor()
    quick.add("Abc-123_xyz")
    quick.add_token("tok3n.value")
    assert quick._finders[0].among("warm-up") == set()
    assert quick._finders[0].table is not None
    assert quick.text("før Abc-123_xyz, etter") == "før ***, etter"
    assert quick.text("æAbc-123_xyzø\ttok3n.value\n") == "æ***ø\t***\n"
    assert quick.text("xAbc-123_xyz tok3n.valuex") == "x*** ***x"
    assert quick.text("Abc-123_xy tok3n-value") == "Abc-123_xy tok3n-value"
    slow = Redactor()
    slow.add("hemmelig æøå")
    assert slow.text("x hemmelig æøå\ud800y") == "x ***\ud800y"
    assert slow._finders[0].table is None


def test_the_quick_path_finds_what_the_regular_expression_finds() -> None:
    import random

    from core.redact import Redactor

    rng = random.Random(21)
    alphabet = 'ab-_.1 \t\n\x0b\x0c\x1cæ\ud800"\\'
    for _ in range(200):
        r = Redactor()
        for _ in range(rng.randint(1, 4)):
            r.add("".join(rng.choice("ab-_.1") for _ in range(rng.randint(6, 9))))
        finder = r._finders[0]
        for _ in range(5):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
            for value in rng.sample(sorted(finder.needles), 1):
                text = text[:10] + value + text[10:]
            quick = finder.among(text)
            assert finder.table is not None
            finder.table = None
            assert finder.among(text) == quick
            finder.runs = None  # made again, table too
