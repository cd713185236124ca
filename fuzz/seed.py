#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from ../shared/corpus, the bad-input catalogue and specs/ (and
`server_request` from a few requests written here).

Usage: python3 fuzz/seed.py [SHARED_CORPUS]   (default: ../shared/corpus next to the repository)

The corpora are not committed (fuzz/.gitignore); run this before `cargo +nightly fuzz run`.
Documents over 200 KB are skipped (slow to fuzz); pipeline seeds are an OpenAPI document, a NUL
byte and a capability (optionally another NUL byte and an overlay), at most 64 KiB in all.
"""

import hashlib
import json
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
REPO = FUZZ.parent
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO.parent / "shared" / "corpus"
MAX_DOC = 200 * 1024
MAX_PAIR = 64 * 1024

try:
    import yaml  # optional: YAML seeds are also converted to JSON for the `openapi_json` target
except ImportError:
    yaml = None


def add(target, data):
    out = FUZZ / "corpus" / target
    out.mkdir(parents=True, exist_ok=True)
    (out / hashlib.sha1(data).hexdigest()).write_bytes(data)


def small(path, limit=MAX_DOC):
    return path.is_file() and path.stat().st_size <= limit


def files(directory, *patterns):
    for pattern in patterns:
        yield from sorted(Path(directory).glob(pattern))


def to_json(data):
    if yaml is None:
        return None
    try:
        return json.dumps(yaml.safe_load(data), indent=1, default=str).encode()
    except Exception:
        return None


catalogue = REPO / "tests" / "catalogue"
spec = REPO / "specs" / "durable-functions"
openapi_yaml = [p for p in files(SHARED / "openapi", "*.yaml", "*.yml") if small(p)]
openapi_yaml += [p for p in files(SHARED / "pairs", "*/openapi-*") if small(p)]
openapi_yaml += list(files(catalogue, "*/openapi.yaml", "*/common.yaml", "*/overlay.yaml"))
openapi_yaml += [spec / "openapi.yaml", FUZZ / "seeds" / "openapi.yaml"]
openapi_json = [p for p in files(SHARED / "openapi", "*.json") if small(p)]
openapi_json += list(files(catalogue, "*/openapi.json"))
capabilities = list(files(SHARED / "naftiko", "*.yml", "*.yaml"))
capabilities += list(files(SHARED / "pairs", "*/capability-*"))
capabilities += list(files(catalogue, "*/capability.yaml", "*/capability.json"))
capabilities += list(files(spec, "*.naftiko.yaml")) + list(files(REPO / "generator" / "tests" / "capability", "*.yaml"))
capabilities += [FUZZ / "seeds" / "capability.yaml"]

for path in openapi_yaml:
    data = path.read_bytes()
    add("openapi_yaml", data)
    converted = to_json(data)
    if converted is not None and len(converted) <= MAX_DOC:
        add("openapi_json", converted)
for path in openapi_json:
    add("openapi_json", path.read_bytes())
for path in capabilities:
    add("capability", path.read_bytes())

def strings_under(node, key):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from strings_under(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from strings_under(v, key)


def template(path):
    out, depth = "", 0
    for c in path.replace("{{", "{").replace("}}", "}"):
        if c == "{":
            depth += 1
            if depth == 1:
                out += "{}"
        elif c == "}":
            depth = max(depth - 1, 0)
        elif depth == 0:
            out += c
    return out.rstrip("/")


def trimmed(api_bytes, cap_bytes):
    """The OpenAPI document cut down to the paths the capability consumes (plus every component
    they reach), so the pipeline target also starts from small pairs of big APIs."""
    if yaml is None:
        return None
    try:
        api = yaml.safe_load(api_bytes)
        cap = yaml.safe_load(cap_bytes)
    except Exception:
        return None
    if not isinstance(api, dict) or not isinstance(api.get("paths"), dict):
        return None
    wanted = {template(p) for p in strings_under(cap, "path")}
    keep = {p: item for p, item in api["paths"].items()
            if any(template(p).endswith(w) or w.endswith(template(p)) for w in wanted if w)}
    components = api.get("components") if isinstance(api.get("components"), dict) else {}
    reached, todo = set(), list(strings_under(keep, "$ref"))
    while todo:
        ref = todo.pop()
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"] or (parts[2], parts[3]) in reached:
            continue
        reached.add((parts[2], parts[3]))
        todo += strings_under(components.get(parts[2], {}).get(parts[3]), "$ref")
    small_components = {"securitySchemes": components.get("securitySchemes", {})}
    for section, name in reached:
        value = components.get(section, {}).get(name)
        if value is not None:
            small_components.setdefault(section, {})[name] = value
    api = dict(api, paths=keep, components=small_components)
    return yaml.safe_dump(api, sort_keys=False, allow_unicode=True).encode()


pairs = [(FUZZ / "seeds" / "openapi.yaml", FUZZ / "seeds" / "capability.yaml", None)]
for api in files(SHARED / "pairs", "*/openapi-*"):
    pairs += [(api, cap, None) for cap in files(api.parent, "capability-*")]
pairs += [(spec / "openapi.yaml", cap, spec / "overlay.yaml") for cap in files(spec, "*.naftiko.yaml")]
pairs += [(spec / "openapi.yaml", cap, None) for cap in files(spec, "*.naftiko.yaml")]
for api, cap, overlay in pairs:
    tail = b"\0" + cap.read_bytes()
    if overlay is not None:
        tail += b"\0" + overlay.read_bytes()
    data = api.read_bytes() + tail
    if len(data) <= MAX_PAIR:
        add("pipeline", data)
    small_api = trimmed(api.read_bytes(), cap.read_bytes()) if overlay is None else None
    if small_api is not None and len(small_api + tail) <= MAX_PAIR:
        add("pipeline", small_api + tail)

# server_request: a method line, a request target, header lines, an empty line, the body.
REQUESTS = [
    "GET\n/v1/items/abc?limit=5&tags=a,b\nx-flag: true\n\n",
    "GET\n/v1/Items/a%20b%C3%A9/\n\n",
    "GET\n/v1/items/abc%ZZ\n\n",
    "GET\n/v1/items/abc?limit=0&other=1\n\n",
    "POST\n/v1/items/i-1/raiseEvent/Go\ncontent-type: application/json\n\n{\"n\": 1.5}",
    "POST\n/v1/items/i-1/raiseevent/Go\n\n[1, 2]",
    "GET\n/v1/mock/Nina\n\n",
    "DELETE\n/v1/mock/x\n\n",
    "GET\n/nowhere\n\n",
    # Found by this target: another method on a built-in route got axum's bare 405.
    "ssrea2\n/openapi.json",
]
for request in REQUESTS:
    add("server_request", request.encode())

for target in ["openapi_yaml", "openapi_json", "capability", "pipeline", "server_request"]:
    print(target, len(list((FUZZ / "corpus" / target).iterdir())))
