"""The `control` adapter on its own port, as the engine serves it (ControlIntegrationTest,
HealthLiveResourceTest, MetricsResourceTest over `specs/naftiko-conformance/control.yml`, the
engine's control-capability.yaml): `/health/live` and `/health/ready` answer `{"status":"UP"}`;
`info: true` adds `/status` and `/config`; `/metrics` is Prometheus text, 503 when metrics are off;
groups a capability does not enable are 404 problems."""

from __future__ import annotations

import json

from harness import REPO, Answer, MockUpstream, http, run_server

SPEC_DIR = REPO / "specs" / "naftiko-features"


def test_health_status_config_and_metrics(tmp_path):
    with run_server("conformance-control", rest=False, mcp=False, control=True, log_dir=tmp_path) as server:
        base = server.control_url
        for path in ("/health/live", "/health/ready"):
            answer = http("GET", base + path)
            assert answer.status == 200, (path, answer.body)
            assert answer.content_type.startswith("application/json")
            assert answer.json() == {"status": "UP"}
        status = http("GET", base + "/status").json()
        assert status["status"] == "UP"
        assert status["capability"] == "Control Port Test Capability"
        assert status["naftiko"] == "1.0.0-alpha2"
        assert status["server"] == "conformance-control"
        config = http("GET", base + "/config").json()
        assert {"type": "control", "port": 9199} in config["exposes"]
        metrics = http("GET", base + "/metrics")
        assert metrics.status == 200
        assert metrics.content_type.startswith("application/openmetrics-text")
        assert 'build_info{server="conformance-control"' in metrics.body.decode()
        missing = http("GET", base + "/logs")
        assert missing.status == 404
        assert missing.content_type == "application/problem+json"


def test_metrics_off_is_503_as_without_opentelemetry(tmp_path):
    with run_server(
        "conformance-control", rest=False, mcp=False, control=True, flags=["--no-metrics"], log_dir=tmp_path
    ) as server:
        answer = http("GET", server.control_url + "/metrics")
        assert answer.status == 503
        assert answer.content_type == "application/problem+json"


def test_info_is_off_unless_enabled_and_metrics_count_the_rest_calls(tmp_path):
    hub = MockUpstream({("GET", "/orgs/acme/members"): Answer(body=json.dumps([]))})
    with hub, run_server("scripts-server", [hub.url], cwd=SPEC_DIR, control=True, log_dir=tmp_path) as server:
        base = server.control_url
        assert http("GET", base + "/health/live").json() == {"status": "UP"}
        assert http("GET", base + "/status").status == 404
        http("GET", server.rest_url + "/healthz")
        text = http("GET", base + "/metrics").body.decode()
        assert 'build_info{server="scripts-server"' in text
