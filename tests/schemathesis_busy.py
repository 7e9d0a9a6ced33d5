"""A busy lobby for tests/schemathesis.sh, checked against the OpenAPI document.

Schemathesis fuzzes a fresh daemon, whose lobby is empty: /state has no current tickets and
no waiting list, no ticket answer carries a place in line. This script first makes the lobby
busy (a clerk calls, recalls, marks a no-show; tickets of several kinds wait) and validates
every answer on the way — tickets, counter answers, /me, the queue, no-shows, a counter's
status answer and /state for each audience — against the schema the document gives its
status, with the JSON Schema validator schemathesis itself ships (jsonschema_rs). Exit
status 1 on any mismatch.

Usage: python schemathesis_busy.py BASE_URL
"""

import json
import sys
import urllib.error
import urllib.request

from jsonschema_rs import Draft202012Validator

BASE = sys.argv[1]
SUPERVISOR = "demo-supervisor-token-01"
KIOSK = "demo-kiosk-token-00001"


def call(method, path, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


DOC = call("GET", "/api/v1/openapi.json")[1]
bad = 0


def check(method, path, template, token=None, body=None, want=(200, 201)):
    """Calls the route and validates the answer against its documented schema."""
    global bad
    status, value = call(method, path, token, body)
    op = DOC["paths"]["/api/v1" + template][method.lower()]
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": DOC["components"]})
    errors = [e.message[:300] for e in validator.iter_errors(value)]
    if status not in want or errors:
        bad += 1
        print(f"MISMATCH {status} {method} {path}: {errors or value}")
    return value


clerk = call("POST", "/api/v1/login", None, {"staff": "nv01", "pin": "1234", "counter": 1})[1]["token"]
first = check("POST", "/api/v1/tickets", "/tickets", KIOSK, {"service": "hotich"})
check("POST", "/api/v1/tickets", "/tickets", KIOSK, {"service": "hotich", "priority": "elderly"})
for service in ["chungthuc", "hotich", "chungthuc"]:
    check("POST", "/api/v1/tickets", "/tickets", KIOSK, {"service": service})
check("POST", "/api/v1/remote-tickets", "/remote-tickets", None, {"service": "gplx"})
check("POST", "/api/v1/counters/1/next", "/counters/{n}/next", clerk)
check("POST", "/api/v1/counters/1/recall", "/counters/{n}/recall", clerk)
check("POST", "/api/v1/counters/1/next", "/counters/{n}/next", clerk)
check("POST", "/api/v1/counters/1/no-show", "/counters/{n}/no-show", clerk)
check("POST", "/api/v1/counters/1/next", "/counters/{n}/next", clerk)
check("GET", f"/api/v1/tickets/{first['id']}", "/tickets/{id}")
check("GET", "/api/v1/counters/1/queue", "/counters/{n}/queue", clerk)
check("GET", "/api/v1/no-shows", "/no-shows", SUPERVISOR)
check("GET", "/api/v1/me", "/me", clerk)
check("GET", "/api/v1/counters/1/rating-target", "/counters/{n}/rating-target", clerk)
for status in ["paused", "open"]:
    check("POST", "/api/v1/counters/1/status", "/counters/{n}/status", clerk, {"status": status})
for token in [None, KIOSK, clerk, SUPERVISOR]:
    state = check("GET", "/api/v1/state", "/state", token)
    if not any(c["current"] for c in state["counters"]):
        bad += 1
        print("MISMATCH /state: no counter serves anyone, the lobby is not busy")
print(f"busy lobby: {'ok' if bad == 0 else f'{bad} mismatches'}")
sys.exit(1 if bad else 0)
