//! Every call is a `tracing` span named `http_request` with the method, the operation's path
//! template and the status, and never the key.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::harness::Upstream;

/// A writer into a shared buffer, for the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn each_call_is_a_span_with_method_route_and_status() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let upstream = Upstream::start().await;
    let client = upstream.client();
    let missing = client.get_instance_status("no-such-instance").send().await;
    assert!(missing.is_err());
    upstream.forget();

    let text = String::from_utf8(captured.0.lock().expect("the buffer").clone()).expect("UTF-8");
    let line = text
        .lines()
        .find(|it| it.contains("http_request") && it.contains("close"))
        .unwrap_or_else(|| panic!("no span closed: {text}"));
    assert!(line.contains("method=GET"), "{line}");
    assert!(
        line.contains("route=\"/runtime/webhooks/durabletask/instances/{instanceId}\""),
        "{line}"
    );
    assert!(line.contains("status=404"), "{line}");
    assert!(
        !text.contains("capgenE2eKey"),
        "the key is in the trace: {text}"
    );
}
