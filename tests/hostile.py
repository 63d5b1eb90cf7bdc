"""Hostile strings, and executions that carry them in every text field the API has.

Each payload, if it ever ran, would open a dialog (``alert``), set ``document.title`` to
``PWNED`` or fetch from ``{BEACON}`` (a loopback server the browser tests watch); remote URLs all
point at ``{BEACON}`` too, so "nothing was fetched" is something a test can see.
"""

from __future__ import annotations

import copy
import functools
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import plannr_nb as pnb
from plannr_nb.testing import execution_payload, step_payload

RUN = "document.title='PWNED';alert(1);fetch('{BEACON}/js')"

_CORPUS = [
    # event handlers, many tags and cases
    '<img src=x onerror="' + RUN + '">',
    '<IMG SRC=# OnErRoR="' + RUN + '">',
    '<svg onload="' + RUN + '">',
    "<svg/onload=alert(1)>",
    '<body onload="' + RUN + '">',
    '<details open ontoggle="' + RUN + '">x</details>',
    '<video><source onerror="' + RUN + '"></video>',
    "<audio src=x onerror=alert(1)>",
    '<input autofocus onfocus="' + RUN + '">',
    "<marquee onstart=alert(1)>m</marquee>",
    '<div onmouseover="' + RUN + '" style="position:fixed;inset:0">hover</div>',
    "<a href=# onclick=alert(1)>click</a>",
    # script in many cases
    "<script>" + RUN + "</script>",
    "<ScRiPt>alert(1)</sCrIpT>",
    "<script src={BEACON}/script.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    # javascript: with entities and whitespace
    '<a href="javascript:alert(1)">j1</a>',
    '<a href="jav&#x09;ascript:alert(1)">j2</a>',
    '<a href="&#106;avascript:alert(1)">j3</a>',
    '<a href=" JaVaScRiPt:alert(1)">j4</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    # SVG and MathML
    '<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>svg</text></a></svg>',
    '<svg><image href="{BEACON}/svg.png"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<math href="javascript:alert(1)">CLICK</math>',
    # CSS that loads
    "<style>@import url({BEACON}/import.css);</style>",
    "<style>body{background:url({BEACON}/bg.png)}</style>",
    '<div style="background:url({BEACON}/style-attr.png)">css</div>',
    "<div style=\"background-image:image-set('{BEACON}/set.png' 1x)\">set</div>",
    # unclosed tags and attribute breakouts with both quote kinds
    "<img src=x onerror=alert(1)",
    '"><img src=x onerror="' + RUN + '">',
    "'><script>alert(1)</script>",
    '" onmouseover="alert(1)" x="',
    "' onfocus='alert(1)' autofocus x='",
    "</td></tr></table><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>",
    # Markdown links, images and autolinks
    "[x](javascript:alert(1))",
    "[remote]({BEACON}/md-link)",
    "![x]({BEACON}/beacon.png)",
    "![x](javascript:alert(1))",
    "<{BEACON}/autolink>",
    "{BEACON}/bare-url and www.example.com and someone@example.com",
    "[ref][r]\n\n[r]: {BEACON}/ref",
    "**bold** _em_ `code` ~~strike~~ # heading | table |",
    "\n\n# heading\n- item\n1. item\n> quote\n    indented code",
    "$\\href{javascript:alert(1)}{x}$ and $$x$$ and \\\\(x\\\\)",
    # comments, CDATA and other sinks
    "<!-- comment --><img src=x onerror=alert(1)>",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    '<iframe src="{BEACON}/iframe"></iframe>',
    '<iframe srcdoc="<script>parent.alert(1)</script>"></iframe>',
    '<object data="{BEACON}/object"></object>',
    '<embed src="{BEACON}/embed">',
    '<form action="{BEACON}/form"><button>go</button></form>',
    '<base href="{BEACON}/">',
    '<meta http-equiv="refresh" content="0;url={BEACON}/refresh">',
    '<link rel=stylesheet href="{BEACON}/link.css">',
    '<img srcset="{BEACON}/srcset.png 1x">',
    '<img src="{BEACON}/img.png">',
    "&lt;img src=x onerror=alert(1)&gt; &amp; &#60;b&#62;",
]


CREATED_AT = "2026-06-08T16:07:00+01:00"  # of the executions and their steps


def corpus(beacon: str) -> list[str]:
    """Every hostile string, remote URLs pointing at ``beacon`` (``http://127.0.0.1:PORT``)."""
    return [text.replace("{BEACON}", beacon) for text in _CORPUS]


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "plannr-nb-hostile/" + "/".join(map(str, parts))))


@functools.cache  # the demo loads in ~20 ms, and 60 executions with accounts ask 120 times
def _template() -> dict[str, Any]:
    for item in pnb.load_demo_executions():
        if item["uuid"] == pnb.DEMO_STORY_UUID:
            return item
    raise LookupError("the demo story is missing")


def hostile_account(texts: list[str], seed: int = 0) -> dict[str, Any]:
    """An account whose every text field holds one of ``texts`` (in turn, from ``seed``)."""
    account = copy.deepcopy(_template()["account"])
    account["uuid"] = _uuid("account", seed)
    turn = iter(texts[(seed + i) % len(texts)] for i in range(10_000))
    for key in ("type", "role", "first_name", "last_name", "name", "email", "photo_url"):
        account[key] = next(turn)
    account["referral_code"] = next(turn)
    for key in ("firm", "assigned_adviser", "assigned_administrator", "assigned_paraplanner"):
        account[key] = {"uuid": _uuid("account", key, seed), "name": next(turn)}
    account["introduced_by"] = {"uuid": _uuid("introducer", seed), "name": next(turn)}
    account["business_unit"] = {"uuid": _uuid("unit", seed), "name": next(turn)}
    account["owners"] = {"uuid": account["uuid"], "name": next(turn)}
    account["primary_phone_number"] = {"uuid": _uuid("phone", seed), "number": next(turn)}
    account["primary_email"] = {"uuid": _uuid("email", seed), "email": next(turn)}
    for key in ("tags", "groups", "circles"):
        account[key] = [{"uuid": _uuid(key, seed, j), "name": next(turn)} for j in range(2)]
    return account


def hostile_execution(texts: list[str], index: int = 0) -> dict[str, Any]:
    """One execution: ``texts[index]`` as its name, triggered_by, status and account name;
    one step per text that has run (its name, its info as a documented error, or plain info),
    so every text reaches step names, parsed errors and info; then a step not run, named
    ``texts[index]`` too, which is the execution's ``next_step``."""
    own = texts[index % len(texts)]
    steps = []
    for j, text in enumerate(texts):
        kind = j % 3
        if kind == 0:  # the documented error form: parsed into errors
            status, info = "completed", json.dumps([{"errors": text}])
        elif kind == 1:  # a failing step with plain info
            status, info = "failed", text
        else:  # a step whose status itself is hostile
            status, info = text, text
        steps.append(
            step_payload(
                uuid=_uuid("step", index, j),
                name=text,
                status=status,
                info=info,
                created_at=CREATED_AT,
                executed_at=f"2026-06-08T16:{8 + j // 60:02d}:{j % 60:02d}+01:00",
            )
        )
    waiting = step_payload(
        uuid=_uuid("step", index, "next"), name=own, status="pending", created_at=CREATED_AT
    )
    return execution_payload(
        uuid=_uuid("execution", index),
        name=own,
        status=own if index % 2 else "failed",
        triggered_by=own,
        created_at=CREATED_AT,
        steps=[*steps, waiting],
        account=hostile_account(texts, seed=index),
        blueprint_uuid=_uuid("blueprint"),
    )


def hostile_executions(beacon: str) -> list[dict[str, Any]]:
    """One execution per corpus string (its name, status, trigger...), each with every string
    in its steps and its account."""
    texts = corpus(beacon)
    return [hostile_execution(texts, i) for i in range(len(texts))]


class Beacon:
    """A loopback HTTP server that records every request it gets (and answers 204)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        beacon = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                beacon.requests.append(f"{self.command} {self.path}")
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_HEAD = do_OPTIONS = _record

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Beacon:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
