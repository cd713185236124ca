//! Prometheus metrics of the server, served as OpenMetrics text at `/metrics` on the REST port:
//! requests by route, method and status with their latency; requests in flight; upstream
//! exchanges with their latency and failures by kind; MCP tool calls by tool and `isError`;
//! build information.
//!
//! One process-wide registry, because the REST adapter runs a runtime per core and the MCP
//! adapter another: every thread records into the same atomics. Until [`enable`] is called
//! (`--no-metrics` skips it) every recording function returns at once.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

/// The content type of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets in seconds: 250 µs to about 16 s, doubling (a proxy's own latency is well
/// under a millisecond; an upstream's can be seconds).
fn latency_buckets() -> impl Iterator<Item = f64> {
    prometheus_client::metrics::histogram::exponential_buckets(0.000_25, 2.0, 17)
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamLabels {
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UpstreamErrorLabels {
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
    is_error: bool,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    server: &'static str,
    version: &'static str,
}

/// Why an upstream exchange did not give a usable answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamError {
    /// No connection could be made.
    Connect,
    /// No answer within the timeout.
    Timeout,
    /// The connection broke or the answer was not HTTP.
    Protocol,
    /// The upstream answered with a 5xx status.
    Status,
}

impl UpstreamError {
    fn label(self) -> &'static str {
        match self {
            UpstreamError::Connect => "connect",
            UpstreamError::Timeout => "timeout",
            UpstreamError::Protocol => "protocol",
            UpstreamError::Status => "status",
        }
    }
}

struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    request_seconds: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    upstream_seconds: Family<UpstreamLabels, Histogram>,
    /// `upstream_seconds` by the index of the method in [`METHOD_LABELS`], looked up once.
    upstream_by_method: [OnceLock<Histogram>; METHOD_LABELS.len()],
    upstream_errors: Family<UpstreamErrorLabels, Counter>,
    tool_calls: Family<ToolLabels, Counter>,
    tool_seconds: Histogram,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Turns metrics on for this process (once; later calls change nothing).
pub fn enable(server: &'static str, version: &'static str) {
    METRICS.get_or_init(|| build(server, version));
}

fn build(server: &'static str, version: &'static str) -> Metrics {
    let mut registry = Registry::default();
    let histogram = || Histogram::new(latency_buckets());
    let requests = Family::<RequestLabels, Counter>::default();
    registry.register(
        "http_requests",
        "REST requests answered, by route template, method and status",
        requests.clone(),
    );
    let request_seconds =
        Family::<RouteLabels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
    registry.register(
        "http_request_duration_seconds",
        "Time from a REST request's arrival to its answer, by route template and method",
        request_seconds.clone(),
    );
    let in_flight = Gauge::default();
    registry.register(
        "http_requests_in_flight",
        "REST requests being answered",
        in_flight.clone(),
    );
    let upstream_seconds =
        Family::<UpstreamLabels, Histogram>::new_with_constructor(histogram as fn() -> Histogram);
    registry.register(
        "upstream_request_duration_seconds",
        "Time of each exchange with a consumed API (connect, send, whole answer read), by method",
        upstream_seconds.clone(),
    );
    let upstream_errors = Family::<UpstreamErrorLabels, Counter>::default();
    registry.register(
        "upstream_errors",
        "Exchanges with a consumed API that failed: connect, timeout, protocol, or a 5xx status",
        upstream_errors.clone(),
    );
    let tool_calls = Family::<ToolLabels, Counter>::default();
    registry.register(
        "mcp_tool_calls",
        "MCP tool calls answered, by tool and whether the result is an error",
        tool_calls.clone(),
    );
    let tool_seconds = histogram();
    registry.register(
        "mcp_tool_call_duration_seconds",
        "Time to answer an MCP tool call",
        tool_seconds.clone(),
    );
    registry.register(
        "build",
        "The server's name and version",
        Info::new(BuildLabels { server, version }),
    );
    Metrics {
        registry,
        requests,
        request_seconds,
        in_flight,
        upstream_seconds,
        upstream_by_method: Default::default(),
        upstream_errors,
        tool_calls,
        tool_seconds,
    }
}

/// Whether [`enable`] was called.
pub fn enabled() -> bool {
    METRICS.get().is_some()
}

/// Counts a REST request in flight until the guard is dropped.
pub fn in_flight() -> InFlight {
    if let Some(metrics) = METRICS.get() {
        metrics.in_flight.inc();
    }
    InFlight(())
}

/// Held while a REST request is answered.
pub struct InFlight(());

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(metrics) = METRICS.get() {
            metrics.in_flight.dec();
        }
    }
}

/// Every value [`method_label`] gives, `other` last.
const METHOD_LABELS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other",
];

/// A method as a label: the standard ones by name, any other as `other` (a label per made-up
/// method would let callers grow the registry without bound).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The metric handles of one REST route, looked up once (a request then records without
/// hashing its labels): its latency histogram and the counters of the first statuses it
/// answers (a route answers few); any further status is looked up per request.
pub struct RouteMetrics {
    route: &'static str,
    method: &'static str,
    seconds: Histogram,
    statuses: [OnceLock<(u16, Counter)>; 8],
}

impl RouteMetrics {
    /// The handles of `method route`, or `None` while metrics are off.
    pub fn new(route: &'static str, method: &'static str) -> Option<RouteMetrics> {
        let metrics = METRICS.get()?;
        let seconds = metrics
            .request_seconds
            .get_or_create_owned(&RouteLabels { route, method });
        Some(RouteMetrics {
            route,
            method,
            seconds,
            statuses: Default::default(),
        })
    }

    /// Records one answered request.
    pub fn record(&self, status: u16, took: Duration) {
        let Some(metrics) = METRICS.get() else {
            return;
        };
        self.seconds.observe(took.as_secs_f64());
        let labels = RequestLabels {
            route: self.route,
            method: self.method,
            status,
        };
        for slot in &self.statuses {
            let (code, counter) =
                slot.get_or_init(|| (status, metrics.requests.get_or_create_owned(&labels)));
            if *code == status {
                counter.inc();
                return;
            }
        }
        metrics.requests.get_or_create(&labels).inc();
    }
}

/// Records one answered REST request (a `forward`: its route is not known in advance).
pub fn request(route: &'static str, method: &'static str, status: u16, took: Duration) {
    let Some(metrics) = METRICS.get() else {
        return;
    };
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status,
        })
        .inc();
    metrics
        .request_seconds
        .get_or_create(&RouteLabels { route, method })
        .observe(took.as_secs_f64());
}

/// Records one exchange with a consumed API: its time, and its failure if it had one.
pub fn upstream(method: &axum::http::Method, took: Duration, error: Option<UpstreamError>) {
    let Some(metrics) = METRICS.get() else {
        return;
    };
    let label = method_label(method);
    let index = METHOD_LABELS
        .iter()
        .position(|it| *it == label)
        .unwrap_or(METHOD_LABELS.len() - 1);
    metrics.upstream_by_method[index]
        .get_or_init(|| {
            metrics
                .upstream_seconds
                .get_or_create_owned(&UpstreamLabels { method: label })
        })
        .observe(took.as_secs_f64());
    if let Some(error) = error {
        metrics
            .upstream_errors
            .get_or_create(&UpstreamErrorLabels {
                kind: error.label(),
            })
            .inc();
    }
}

/// Records one answered MCP tool call.
pub fn tool_call(tool: &str, is_error: bool, took: Duration) {
    let Some(metrics) = METRICS.get() else {
        return;
    };
    metrics
        .tool_calls
        .get_or_create(&ToolLabels {
            tool: tool.to_owned(),
            is_error,
        })
        .inc();
    metrics.tool_seconds.observe(took.as_secs_f64());
}

/// The metrics as OpenMetrics text; `None` when metrics are off.
pub fn render() -> Option<String> {
    let metrics = METRICS.get()?;
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &metrics.registry).ok()?;
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_are_rendered_with_their_labels() {
        enable("test-server", "1.2.3");
        request("/v1/items/{id}", "GET", 200, Duration::from_millis(3));
        request("/v1/items/{id}", "GET", 200, Duration::from_millis(1));
        upstream(
            &axum::http::Method::GET,
            Duration::from_millis(2),
            Some(UpstreamError::Timeout),
        );
        tool_call("get-item", true, Duration::from_millis(5));
        let text = render().unwrap_or_default();
        assert!(
            text.contains(
                r#"http_requests_total{route="/v1/items/{id}",method="GET",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"upstream_errors_total{kind="timeout"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mcp_tool_calls_total{tool="get-item",is_error="true"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"build_info{server="test-server",version="1.2.3"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn a_route_counts_every_status_it_answers_beyond_its_cached_ones() {
        enable("test-server", "1.2.3");
        let route = RouteMetrics::new("/r", "POST").expect("metrics are on");
        for status in (200..212).chain([200, 211]) {
            route.record(status, Duration::from_millis(1));
        }
        let text = render().unwrap_or_default();
        for (status, count) in [(200, 2), (205, 1), (211, 2)] {
            let line = format!(
                r#"http_requests_total{{route="/r",method="POST",status="{status}"}} {count}"#
            );
            assert!(text.contains(&line), "{line} in {text}");
        }
        assert!(
            text.contains(r#"http_request_duration_seconds_count{route="/r",method="POST"} 14"#)
        );
    }
}
