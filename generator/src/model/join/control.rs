//! The `control` adapter: the engine's management plane on its own port. capgen serves health
//! (`/health/live`, `/health/ready`), info (`/status`, `/config`) and the Prometheus `/metrics`
//! of `observability.metrics.local`; the other groups (reload, validate, logs, local traces) are
//! reported as not served.

use serde_json::{Map, Value};

use crate::load::capability::model::Authentication;
use crate::load::diagnostics::{Code, Diagnostic};
use crate::model::capability::ControlAdapter;
use crate::model::join::{Ctx, auth};

/// Reads the `control` adapter at `pointer`.
pub(super) fn control_adapter(
    ctx: &mut Ctx<'_>,
    adapter: &Map<String, Value>,
    pointer: &str,
) -> Option<ControlAdapter> {
    let port = adapter
        .get("port")
        .and_then(Value::as_u64)
        .and_then(|it| u16::try_from(it).ok())
        .filter(|it| *it > 0);
    let Some(port) = port else {
        let diagnostic = Diagnostic::warning(
            Code::UnsupportedAdapter,
            "this `control` adapter has no valid `port`; it is not served",
        );
        ctx.diags
            .push(diagnostic.at(ctx.file, format!("{pointer}/type")));
        return None;
    };
    let management = adapter.get("management");
    let flag = |name: &str, default: bool| {
        management
            .and_then(|it| it.get(name))
            .and_then(Value::as_bool)
            .unwrap_or(default)
    };
    let (health, info) = (flag("health", true), flag("info", false));
    for group in ["reload", "validate"] {
        if flag(group, false) {
            not_served(ctx, &format!("{pointer}/management/{group}"), group);
        }
    }
    if management.and_then(|it| it.get("scripting")).is_some() {
        let diagnostic = Diagnostic::warning(
            Code::UnsupportedAdapter,
            "the control adapter's `/scripting` endpoint is not served; its settings apply to the \
             script steps as generated",
        );
        let at = format!("{pointer}/management/scripting");
        ctx.diags.push(diagnostic.at_key(ctx.file, &at));
    }
    let logs = management.and_then(|it| it.get("logs"));
    if logs.is_some_and(|it| it.as_bool() != Some(false)) {
        not_served(ctx, &format!("{pointer}/management/logs"), "logs");
    }
    let observability = adapter.get("observability");
    let observed = observability
        .and_then(|it| it.get("enabled"))
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let local = |signal: &str| {
        observability
            .and_then(|it| it.get(signal))
            .and_then(|it| it.get("local"))
            .and_then(|it| it.get("enabled"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    };
    let metrics = observed && local("metrics");
    if observed && observability.and_then(|it| it.get("traces")).is_some() && local("traces") {
        not_served(ctx, &format!("{pointer}/observability/traces"), "traces");
    }
    let authentication = adapter
        .get("authentication")
        .and_then(|it| serde_json::from_value::<Authentication>(it.clone()).ok());
    let inbound_auth = authentication
        .as_ref()
        .and_then(|it| auth(ctx, it, &format!("{pointer}/authentication"), true));
    Some(ControlAdapter {
        address: adapter
            .get("address")
            .and_then(Value::as_str)
            .map(str::to_owned),
        port,
        health,
        info,
        metrics,
        inbound_auth,
        pointer: pointer.to_owned(),
    })
}

fn not_served(ctx: &mut Ctx<'_>, pointer: &str, group: &str) {
    let diagnostic = Diagnostic::warning(
        Code::UnsupportedAdapter,
        format!(
            "the control adapter's `{group}` endpoints are not served by capgen (health, info and \
             metrics are)"
        ),
    );
    ctx.diags.push(diagnostic.at_key(ctx.file, pointer));
}
