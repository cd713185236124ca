//! Unknown fields (C003): walks the raw document with a table of the fields each kind of
//! object may carry, and warns at the key of every field the schema of the document's version
//! does not define. The seed-dialect extras (`type`/`required`/`description` on consumed input
//! parameters, `description` on REST adapters) are known here and reported by the dialect
//! checks instead. Skill and control adapters, `with`, `keys`, body `data` and `const` are not
//! looked into.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::model::NaftikoVersion;
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// The kinds of objects of a capability document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Root,
    Info,
    Person,
    Binding,
    Capability,
    Consumes,
    ConsumedInput,
    ConsumedResource,
    ConsumedOperation,
    ConsumedOutput,
    Auth,
    Body,
    Rest,
    ExposedResource,
    Forward,
    ExposedInput,
    ExposedOperation,
    Output,
    Mcp,
    McpTool,
    McpInput,
    Hints,
    McpResource,
    McpPrompt,
    PromptArgument,
    PromptMessage,
    Step,
    StepMapping,
    Aggregate,
    AggregateFunction,
    Semantics,
    /// An `exposes` entry, resolved to [`Kind::Rest`] or [`Kind::Mcp`] by its `type`; skill and
    /// control adapters are not looked into.
    Adapter,
}

/// What a field holds.
#[derive(Clone, Copy)]
enum Child {
    Object(Kind),
    List(Kind),
    /// A mapping whose values are objects of a kind (`properties`).
    Map(Kind),
    /// An object or a list of objects (`items`).
    ObjectOrList(Kind),
    Leaf,
}

use Child::{Leaf, List, Map as MapOf, Object, ObjectOrList};

/// The fields of one kind of object.
struct Spec {
    /// How messages name the object.
    name: &'static str,
    fields: &'static [(&'static str, Child)],
    /// Seed-dialect fields: known, reported by the dialect checks.
    dialect: &'static [&'static str],
    /// Fields added in 1.0.0-alpha2.
    since_alpha2: &'static [&'static str],
}

const OUTPUT_FIELDS: &[(&str, Child)] = &[
    ("name", Leaf),
    ("type", Leaf),
    ("mapping", Leaf),
    ("value", Leaf),
    ("const", Leaf),
    ("properties", MapOf(Kind::Output)),
    ("items", ObjectOrList(Kind::Output)),
];

fn spec(kind: Kind, object: &Map<String, Value>) -> Option<Spec> {
    let type_name = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let spec = |name, fields, dialect, since_alpha2| Spec {
        name,
        fields,
        dialect,
        since_alpha2,
    };
    Some(match kind {
        Kind::Root => spec(
            "the document root",
            &[
                ("naftiko", Leaf),
                ("info", Object(Kind::Info)),
                ("binds", List(Kind::Binding)),
                ("consumes", List(Kind::Consumes)),
                ("capability", Object(Kind::Capability)),
            ],
            &[],
            &[],
        ),
        Kind::Info => spec(
            "`info`",
            &[
                ("label", Leaf),
                ("description", Leaf),
                ("tags", Leaf),
                ("created", Leaf),
                ("modified", Leaf),
                ("stakeholders", List(Kind::Person)),
            ],
            &[],
            &[],
        ),
        Kind::Person => spec(
            "a stakeholder",
            &[("role", Leaf), ("fullName", Leaf), ("email", Leaf)],
            &[],
            &[],
        ),
        Kind::Binding => spec(
            "a `binds` entry",
            &[
                ("namespace", Leaf),
                ("description", Leaf),
                ("location", Leaf),
                ("keys", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::Capability => spec(
            "`capability`",
            &[
                ("binds", List(Kind::Binding)),
                ("exposes", List(Kind::Adapter)),
                ("consumes", List(Kind::Consumes)),
                ("aggregates", List(Kind::Aggregate)),
            ],
            &[],
            &["aggregates"],
        ),
        Kind::Consumes if !object.contains_key("type") && object.contains_key("import") => spec(
            "an imported `consumes` entry",
            &[
                ("location", Leaf),
                ("import", Leaf),
                ("as", Leaf),
                ("description", Leaf),
            ],
            &[],
            &["description"],
        ),
        Kind::Consumes => spec(
            "a consumed HTTP adapter",
            &[
                ("type", Leaf),
                ("namespace", Leaf),
                ("baseUri", Leaf),
                ("description", Leaf),
                ("inputParameters", List(Kind::ConsumedInput)),
                ("authentication", Object(Kind::Auth)),
                ("resources", List(Kind::ConsumedResource)),
            ],
            &[],
            &[],
        ),
        Kind::ConsumedInput => spec(
            "a consumed input parameter",
            &[("name", Leaf), ("in", Leaf), ("value", Leaf)],
            &["type", "required", "description"],
            &[],
        ),
        Kind::ConsumedResource => spec(
            "a consumed resource",
            &[
                ("name", Leaf),
                ("path", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("inputParameters", List(Kind::ConsumedInput)),
                ("operations", List(Kind::ConsumedOperation)),
            ],
            &[],
            &[],
        ),
        Kind::ConsumedOperation => spec(
            "a consumed operation",
            &[
                ("name", Leaf),
                ("method", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("inputParameters", List(Kind::ConsumedInput)),
                ("outputParameters", List(Kind::ConsumedOutput)),
                ("body", Object(Kind::Body)),
                ("outputRawFormat", Leaf),
                ("outputSchema", Leaf),
            ],
            &[],
            &["outputSchema"],
        ),
        Kind::ConsumedOutput => spec(
            "a consumed output parameter",
            &[("name", Leaf), ("type", Leaf), ("value", Leaf)],
            &[],
            &[],
        ),
        Kind::Auth => {
            let fields: &'static [(&'static str, Child)] = match type_name {
                "basic" | "digest" => &[("type", Leaf), ("username", Leaf), ("password", Leaf)],
                "apikey" => &[
                    ("type", Leaf),
                    ("key", Leaf),
                    ("value", Leaf),
                    ("placement", Leaf),
                ],
                "bearer" => &[("type", Leaf), ("token", Leaf)],
                "none" => &[("type", Leaf)],
                "oauth2" => &[
                    ("type", Leaf),
                    ("authorizationServerUri", Leaf),
                    ("resource", Leaf),
                    ("scopes", Leaf),
                    ("audience", Leaf),
                    ("tokenEndpoint", Leaf),
                    ("tokenValidation", Leaf),
                ],
                _ => return None,
            };
            spec("`authentication`", fields, &[], &[])
        }
        Kind::Body => spec(
            "a request body",
            &[("type", Leaf), ("data", Leaf)],
            &[],
            &[],
        ),
        Kind::Rest => spec(
            "a REST adapter",
            &[
                ("type", Leaf),
                ("namespace", Leaf),
                ("port", Leaf),
                ("address", Leaf),
                ("authentication", Object(Kind::Auth)),
                ("resources", List(Kind::ExposedResource)),
            ],
            &["description"],
            &[],
        ),
        Kind::ExposedResource => spec(
            "a REST resource",
            &[
                ("path", Leaf),
                ("name", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("inputParameters", List(Kind::ExposedInput)),
                ("operations", List(Kind::ExposedOperation)),
                ("forward", Object(Kind::Forward)),
            ],
            &[],
            &[],
        ),
        Kind::Forward => spec(
            "`forward`",
            &[("targetNamespace", Leaf), ("trustedHeaders", Leaf)],
            &[],
            &[],
        ),
        Kind::ExposedInput => spec(
            "a REST input parameter",
            &[
                ("name", Leaf),
                ("in", Leaf),
                ("type", Leaf),
                ("description", Leaf),
                ("pattern", Leaf),
                ("value", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::ExposedOperation => spec(
            "a REST operation",
            &[
                ("method", Leaf),
                ("name", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("inputParameters", List(Kind::ExposedInput)),
                ("call", Leaf),
                ("ref", Leaf),
                ("with", Leaf),
                ("outputParameters", List(Kind::Output)),
                ("steps", List(Kind::Step)),
                ("mappings", List(Kind::StepMapping)),
            ],
            &[],
            &["ref"],
        ),
        Kind::Output => spec("an output parameter", OUTPUT_FIELDS, &[], &[]),
        Kind::Mcp => spec(
            "an MCP adapter",
            &[
                ("type", Leaf),
                ("namespace", Leaf),
                ("port", Leaf),
                ("address", Leaf),
                ("transport", Leaf),
                ("description", Leaf),
                ("authentication", Object(Kind::Auth)),
                ("tools", List(Kind::McpTool)),
                ("resources", List(Kind::McpResource)),
                ("prompts", List(Kind::McpPrompt)),
            ],
            &[],
            &["authentication"],
        ),
        Kind::McpTool => spec(
            "an MCP tool",
            &[
                ("name", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("inputParameters", List(Kind::McpInput)),
                ("call", Leaf),
                ("ref", Leaf),
                ("with", Leaf),
                ("hints", Object(Kind::Hints)),
                ("outputParameters", List(Kind::Output)),
                ("steps", List(Kind::Step)),
                ("mappings", List(Kind::StepMapping)),
            ],
            &[],
            &["ref", "hints"],
        ),
        Kind::McpInput => spec(
            "a tool input parameter",
            &[
                ("name", Leaf),
                ("type", Leaf),
                ("description", Leaf),
                ("required", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::Hints => spec(
            "`hints`",
            &[
                ("readOnly", Leaf),
                ("destructive", Leaf),
                ("idempotent", Leaf),
                ("openWorld", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::McpResource => spec(
            "an MCP resource",
            &[
                ("name", Leaf),
                ("label", Leaf),
                ("uri", Leaf),
                ("description", Leaf),
                ("mimeType", Leaf),
                ("call", Leaf),
                ("with", Leaf),
                ("steps", List(Kind::Step)),
                ("mappings", List(Kind::StepMapping)),
                ("outputParameters", List(Kind::Output)),
                ("location", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::McpPrompt => spec(
            "an MCP prompt",
            &[
                ("name", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("arguments", List(Kind::PromptArgument)),
                ("template", List(Kind::PromptMessage)),
                ("location", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::PromptArgument => spec(
            "a prompt argument",
            &[
                ("name", Leaf),
                ("label", Leaf),
                ("description", Leaf),
                ("required", Leaf),
            ],
            &[],
            &[],
        ),
        Kind::PromptMessage => spec(
            "a prompt message",
            &[("role", Leaf), ("content", Leaf)],
            &[],
            &[],
        ),
        Kind::Step => {
            let fields: &'static [(&'static str, Child)] = match type_name {
                "call" => &[
                    ("type", Leaf),
                    ("name", Leaf),
                    ("call", Leaf),
                    ("with", Leaf),
                ],
                "lookup" => &[
                    ("type", Leaf),
                    ("name", Leaf),
                    ("index", Leaf),
                    ("match", Leaf),
                    ("lookupValue", Leaf),
                    ("outputParameters", Leaf),
                ],
                "script" => &[
                    ("type", Leaf),
                    ("name", Leaf),
                    ("language", Leaf),
                    ("location", Leaf),
                    ("file", Leaf),
                    ("dependencies", Leaf),
                    ("with", Leaf),
                ],
                _ => return None,
            };
            spec("a step", fields, &[], &[])
        }
        Kind::StepMapping => spec(
            "a step mapping",
            &[("targetName", Leaf), ("value", Leaf)],
            &[],
            &[],
        ),
        Kind::Aggregate => spec(
            "an aggregate",
            &[
                ("label", Leaf),
                ("namespace", Leaf),
                ("functions", List(Kind::AggregateFunction)),
            ],
            &[],
            &[],
        ),
        Kind::AggregateFunction => spec(
            "an aggregate function",
            &[
                ("name", Leaf),
                ("description", Leaf),
                ("semantics", Object(Kind::Semantics)),
                ("inputParameters", List(Kind::McpInput)),
                ("call", Leaf),
                ("with", Leaf),
                ("steps", List(Kind::Step)),
                ("mappings", List(Kind::StepMapping)),
                ("outputParameters", List(Kind::Output)),
            ],
            &[],
            &[],
        ),
        Kind::Semantics => spec(
            "`semantics`",
            &[("safe", Leaf), ("idempotent", Leaf), ("cacheable", Leaf)],
            &[],
            &[],
        ),
        Kind::Adapter => return None,
    })
}

/// Warns about every unknown field of the document.
pub fn check(
    file: &Arc<SourceFile>,
    raw: &Value,
    version: NaftikoVersion,
    diags: &mut Diagnostics,
) {
    let mut walker = Walker {
        file,
        version,
        diags,
    };
    walker.value(raw, "", Kind::Root);
}

struct Walker<'a> {
    file: &'a Arc<SourceFile>,
    version: NaftikoVersion,
    diags: &'a mut Diagnostics,
}

impl Walker<'_> {
    fn value(&mut self, value: &Value, pointer: &str, kind: Kind) {
        let Some(object) = value.as_object() else {
            return;
        };
        let kind = match (kind, object.get("type").and_then(Value::as_str)) {
            (Kind::Adapter, Some("rest")) => Kind::Rest,
            (Kind::Adapter, Some("mcp")) => Kind::Mcp,
            _ => kind,
        };
        let Some(spec) = spec(kind, object) else {
            return;
        };
        for (key, child_value) in object {
            let child_pointer = pointer_join(pointer, key);
            let known = spec.fields.iter().find(|(name, _)| name == key);
            match known {
                Some((_, child)) => {
                    if self.version == NaftikoVersion::Alpha1
                        && spec.since_alpha2.contains(&key.as_str())
                    {
                        self.diags.push(
                            Diagnostic::warning(
                                Code::UnknownField,
                                format!(
                                    "field `{key}` in {} is not part of naftiko 1.0.0-alpha1 (it \
                                     was added in 1.0.0-alpha2); capgen reads it anyway",
                                    spec.name
                                ),
                            )
                            .at_key(self.file, &child_pointer),
                        );
                    }
                    self.child(child_value, &child_pointer, *child);
                }
                None if spec.dialect.contains(&key.as_str()) => {}
                None => {
                    let mut diagnostic = Diagnostic::warning(
                        Code::UnknownField,
                        format!("unknown field `{key}` in {}; ignored", spec.name),
                    )
                    .at_key(self.file, &child_pointer);
                    if let Some(close) = closest(key, spec.fields.iter().map(|(name, _)| *name)) {
                        diagnostic = diagnostic.with_help(format!("did you mean `{close}`?"));
                    }
                    self.diags.push(diagnostic);
                }
            }
        }
    }

    fn child(&mut self, value: &Value, pointer: &str, child: Child) {
        match (child, value) {
            (Child::Object(kind), _) => self.value(value, pointer, kind),
            (Child::List(kind) | Child::ObjectOrList(kind), Value::Array(items)) => {
                for (index, item) in items.iter().enumerate() {
                    self.value(item, &pointer_join(pointer, index), kind);
                }
            }
            (Child::ObjectOrList(kind), _) => self.value(value, pointer, kind),
            (Child::Map(kind), Value::Object(members)) => {
                for (name, member) in members {
                    self.value(member, &pointer_join(pointer, name), kind);
                }
            }
            _ => {}
        }
    }
}

/// The known field closest to `key` (case-insensitive equality or edit distance ≤ 2).
fn closest<'a>(key: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let key_lower = key.to_ascii_lowercase();
    known
        .map(|name| (edit_distance(&key_lower, &name.to_ascii_lowercase()), name))
        .filter(|(distance, _)| *distance <= 2)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current[j + 1] = (previous[j] + cost)
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_are_close_names() {
        let known = ["baseUri", "namespace", "resources"];
        assert_eq!(closest("baseUrl", known.iter().copied()), Some("baseUri"));
        assert_eq!(
            closest("nameSpace", known.iter().copied()),
            Some("namespace")
        );
        assert_eq!(closest("zzz", known.iter().copied()), None);
    }
}
