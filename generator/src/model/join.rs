//! The join: a capability read together with the OpenAPI document of the API it consumes.
//!
//! Consumed operations are matched to OpenAPI operations by method and path template (variable
//! names ignored, literal segments compared case-insensitively). Inputs come from the
//! capability where it declares them and from the OpenAPI operation and the path templates
//! where it does not; exposed REST operations and MCP tools then bind each consumed input to an
//! exposed input, a variable or a literal through `with`. Every inference is reported.

mod consumed;
mod control;
mod exposed;
mod output;
mod resources;
mod schema;
mod skills;
mod steps;

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::load::capability::imports::Import;
use crate::load::capability::model::{Authentication, Capability, Exposes};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::load::openapi::OpenApiDocument;
use crate::load::source::SourceFile;
use crate::model::capability::{
    CapabilityModel, KeyPlacement, OutboundAuth, ValueSource, Variable,
};

/// Context shared by the parts of one join.
pub(crate) struct Ctx<'a> {
    /// The file diagnostics point into: the capability, or an imported file while its API is read.
    pub file: &'a Arc<SourceFile>,
    pub cap: &'a Capability,
    pub imports: &'a [Import],
    pub openapi: Option<&'a OpenApiDocument>,
    pub diags: &'a mut Diagnostics,
    /// Bound variables used as credentials (in `authentication`).
    pub secrets: BTreeSet<String>,
}

impl Ctx<'_> {
    pub fn report(&mut self, diagnostic: Diagnostic, pointer: impl Into<String>) {
        let located = diagnostic.at(self.file, pointer);
        self.diags.push(located);
    }

    pub fn report_key(&mut self, diagnostic: Diagnostic, pointer: impl Into<String>) {
        let located = diagnostic.at_key(self.file, pointer);
        self.diags.push(located);
    }
}

/// Joins `cap` (read from `file`, with its resolved `imports`) with `openapi`.
pub fn join(
    file: &Arc<SourceFile>,
    cap: &Capability,
    imports: &[Import],
    openapi: Option<&OpenApiDocument>,
    diags: &mut Diagnostics,
) -> CapabilityModel {
    let mut ctx = Ctx {
        file,
        cap,
        imports,
        openapi,
        diags,
        secrets: BTreeSet::new(),
    };
    let consumes = consumed::consumed_apis(&mut ctx);
    let mut rest = Vec::new();
    let mut mcp = Vec::new();
    for (idx, adapter) in cap.exposes().iter().enumerate() {
        let pointer = Capability::exposes_pointer(idx);
        match adapter {
            Exposes::Rest(it) => {
                rest.push(exposed::rest_adapter(&mut ctx, &consumes, it, &pointer))
            }
            Exposes::Mcp(it) => mcp.push(exposed::mcp_adapter(&mut ctx, &consumes, it, &pointer)),
            Exposes::Skill(_) | Exposes::Control(_) => {}
        }
    }
    exposed::check_unique_tools(&mut ctx, &mcp);
    // Skills describe the REST and MCP adapters, so they come after them.
    let skills = cap
        .exposes()
        .iter()
        .enumerate()
        .filter_map(|(idx, adapter)| match adapter {
            Exposes::Skill(it) => Some((idx, it)),
            _ => None,
        })
        .map(|(idx, it)| {
            let pointer = Capability::exposes_pointer(idx);
            skills::skill_adapter(&mut ctx, it, &rest, &mcp, &pointer)
        })
        .collect();
    let control = cap
        .exposes()
        .iter()
        .enumerate()
        .find_map(|(idx, adapter)| match adapter {
            Exposes::Control(it) => Some((idx, it)),
            _ => None,
        })
        .and_then(|(idx, it)| {
            control::control_adapter(&mut ctx, it, &Capability::exposes_pointer(idx))
        });
    let variables = variables(cap, &consumes, &ctx.secrets);
    let info = cap.info.as_ref();
    CapabilityModel {
        source: file.display_path().to_owned(),
        naftiko: cap.naftiko.as_str().to_owned(),
        label: info.and_then(|it| it.label.clone()),
        description: info.and_then(|it| it.description.clone()),
        consumes,
        rest,
        mcp,
        skills,
        control,
        variables,
    }
}

/// Variable names that read like credentials: their values are scrubbed from answers even when
/// no `authentication` block uses them (a token sent in a templated header, say).
fn looks_secret(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "KEY",
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "CREDENTIAL",
        "AUTH",
    ]
    .iter()
    .any(|it| upper.contains(it))
}

/// Every bound variable, then every `in: environment` parameter of the consumed APIs (read from
/// the environment at start-up too, but optional, as the engine skips a missing one).
fn variables(
    cap: &Capability,
    consumes: &[crate::model::capability::ConsumedApi],
    secrets: &BTreeSet<String>,
) -> Vec<Variable> {
    let mut res: Vec<Variable> = Vec::new();
    for (_, bind) in cap.all_binds() {
        for (variable, key) in &bind.keys {
            if res.iter().any(|it| it.variable == *variable) {
                continue;
            }
            res.push(Variable {
                variable: variable.clone(),
                namespace: bind.namespace.clone(),
                key: key.clone(),
                location: bind.location.clone(),
                secret: secrets.contains(variable) || looks_secret(variable),
                required: true,
            });
        }
    }
    for api in consumes {
        let environment = api
            .operations
            .iter()
            .flat_map(|op| op.request.parameters.iter())
            .filter(|it| it.location == crate::model::capability::WireLocation::Environment);
        for param in environment {
            if res.iter().any(|it| it.variable == param.name) {
                continue;
            }
            res.push(Variable {
                variable: param.name.clone(),
                namespace: api.namespace.clone(),
                key: param.name.clone(),
                location: None,
                secret: secrets.contains(&param.name) || looks_secret(&param.name),
                required: false,
            });
        }
    }
    res
}

/// The names templates may use for bound variables: each variable, and qualified by its bind
/// namespace (`env.KEY`, seed dialect).
pub(crate) fn bound_names(cap: &Capability) -> BTreeSet<String> {
    let mut res = BTreeSet::new();
    for (_, bind) in cap.all_binds() {
        for variable in bind.keys.keys() {
            res.insert(variable.clone());
            res.insert(format!("{}.{variable}", bind.namespace));
        }
    }
    res
}

/// Resolves a value that may reference a bound variable (`{{X}}`, `{{ns.X}}`) into a source,
/// recording the secret.
pub(crate) fn bound_value(ctx: &mut Ctx<'_>, text: &str) -> ValueSource {
    let trimmed = text.trim();
    let Some(inner) = trimmed
        .strip_prefix("{{")
        .and_then(|it| it.strip_suffix("}}"))
    else {
        if text.contains("{{") {
            return ValueSource::Template(text.to_owned());
        }
        return ValueSource::Literal(serde_json::Value::String(text.to_owned()));
    };
    let inner = inner.trim();
    let (namespace, variable) = match inner.split_once('.') {
        Some((ns, var)) => (Some(ns), var),
        None => (None, inner),
    };
    for (_, bind) in ctx.cap.all_binds() {
        if namespace.is_some_and(|ns| ns != bind.namespace) {
            continue;
        }
        if bind.keys.contains_key(variable) {
            return ValueSource::Secret(variable.to_owned());
        }
    }
    ValueSource::Template(text.to_owned())
}

/// Reads an `authentication` block into the IR.
/// Outbound digest/oauth2 on `consumes` is reported by the capability loader; inbound ones
/// (`inbound`) are reported here.
pub(crate) fn auth(
    ctx: &mut Ctx<'_>,
    auth: &Authentication,
    pointer: &str,
    inbound: bool,
) -> Option<OutboundAuth> {
    let source = |ctx: &mut Ctx<'_>, it: &Option<String>| {
        let text = it.as_deref().unwrap_or("");
        // Every variable an authentication value reads is a credential.
        for name in crate::load::capability::interpret::template_names(text) {
            let variable = name.rsplit('.').next().unwrap_or(&name).to_owned();
            ctx.secrets.insert(variable);
        }
        bound_value(ctx, text)
    };
    Some(match auth {
        Authentication::ApiKey(key) => OutboundAuth::ApiKey {
            name: key.key.clone().unwrap_or_default(),
            placement: match key.placement {
                Some(crate::load::capability::model::ApiKeyPlacement::Query) => KeyPlacement::Query,
                _ => KeyPlacement::Header,
            },
            value: source(ctx, &key.value),
        },
        Authentication::Bearer(bearer) => OutboundAuth::Bearer {
            token: source(ctx, &bearer.token),
        },
        Authentication::Basic(basic) => OutboundAuth::Basic {
            username: source(ctx, &basic.username),
            password: source(ctx, &basic.password),
        },
        Authentication::Digest(digest) if !inbound => OutboundAuth::Digest {
            username: source(ctx, &digest.username),
            password: source(ctx, &digest.password),
        },
        Authentication::Digest(_) | Authentication::OAuth2(_) => {
            if !inbound {
                return None;
            }
            let message = format!(
                "`{}` authentication is not generated; the adapter is served without authentication",
                auth.type_name()
            );
            ctx.report(Diagnostic::warning(Code::UnsupportedAuth, message), pointer);
            return None;
        }
    })
}

/// `{{x}}` → `{x}`; `{x}` stays.
pub(crate) fn normalize_template(path: &str) -> String {
    path.replace("{{", "{").replace("}}", "}")
}

/// The variable names of a `{x}` template, in order.
pub(crate) fn template_variables(path: &str) -> Vec<String> {
    let mut res = Vec::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}') else {
            break;
        };
        let name = rest[start + 1..start + end].trim();
        if !name.is_empty() {
            res.push(name.to_owned());
        }
        rest = &rest[start + end + 1..];
    }
    res
}

/// A path template with its variables blanked and literals lower-cased, for matching.
pub(crate) fn template_key(path: &str) -> String {
    let mut res = String::with_capacity(path.len());
    let mut in_var = false;
    for ch in path.chars() {
        match ch {
            '{' => {
                in_var = true;
                res.push('{');
            }
            '}' => {
                in_var = false;
                res.push('}');
            }
            _ if in_var => {}
            _ => res.extend(ch.to_lowercase()),
        }
    }
    res.trim_end_matches('/').to_owned()
}

#[cfg(test)]
mod tests;
