//! How capgen reads the expression forms of a capability: path and URI templates, `with`
//! values, whole-body mappings and bind references.
//!
//! These functions are the single place where both dialects are interpreted; the dialect
//! checks use them to decide what to warn about, and later stages (the join, the emitters) use
//! them to decide what to generate, so the two always agree.

use super::model::{OutputParameter, ParamType, WithValue};

/// A `{{name}}` (Mustache) or `{name}` (single-brace) placeholder in a path or URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placeholder {
    /// The name inside the braces, trimmed.
    pub name: String,
    /// `{{name}}` rather than `{name}`.
    pub double: bool,
    /// Byte range of the whole placeholder, braces included.
    pub range: std::ops::Range<usize>,
}

impl Placeholder {
    /// The placeholder as written, e.g. `{instanceId}`.
    pub fn written(&self) -> String {
        if self.double {
            format!("{{{{{}}}}}", self.name)
        } else {
            format!("{{{}}}", self.name)
        }
    }
}

/// Every placeholder of `text`, in order. Unclosed braces are not placeholders.
pub fn placeholders(text: &str) -> Vec<Placeholder> {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(found) = text[pos..].find('{') {
        let start = pos + found;
        let double = text[start..].starts_with("{{");
        let (open, close) = if double { (2, "}}") } else { (1, "}") };
        let Some(len) = text[start + open..].find(close) else {
            break;
        };
        let inner = &text[start + open..start + open + len];
        let end = start + open + len + close.len();
        if !inner.trim().is_empty() && !inner.contains('{') {
            out.push(Placeholder {
                name: inner.trim().to_owned(),
                double,
                range: start..end,
            });
            pos = end;
        } else {
            pos = start + open;
        }
    }
    out
}

/// The server variables of a consumed `baseUri`: its single-brace placeholders (`{appName}` in
/// `https://{appName}.azurewebsites.net`, seed dialect). capgen makes each a required setting of
/// the generated client.
pub fn server_variables(base_uri: &str) -> Vec<Placeholder> {
    placeholders(base_uri)
        .into_iter()
        .filter(|it| !it.double)
        .collect()
}

/// The path parameters of a consumed resource path. `{{x}}` (official) and `{x}` (seed
/// dialect) are both substituted by capgen.
pub fn path_parameters(path: &str) -> Vec<Placeholder> {
    placeholders(path)
}

/// What a `with` value means to capgen.
#[derive(Debug, Clone, PartialEq)]
pub enum WithSource<'a> {
    /// An input of the exposing adapter: `<namespace>.<name>` or `$this.<namespace>.<name>`.
    /// `foreign_prefix` is set when the prefix is not the adapter's namespace (seed dialect,
    /// `rest.x` / `tools.x`); capgen still reads it as the input `name`.
    Input {
        name: &'a str,
        foreign_prefix: Option<&'a str>,
    },
    /// A Mustache template rendered against the inputs (`{{imo}}`).
    Template(&'a str),
    /// A literal string sent as written.
    Literal(&'a str),
    /// A number sent as written.
    Number(&'a serde_json::Number),
}

/// Classifies a `with` value of an operation or tool of the adapter named `namespace`.
pub fn classify_with<'a>(value: &'a WithValue, namespace: &str) -> WithSource<'a> {
    let text = match value {
        WithValue::Number(it) => return WithSource::Number(it),
        WithValue::String(it) => it.as_str(),
    };
    if text.contains("{{") {
        return WithSource::Template(text);
    }
    if let Some(rest) = text.strip_prefix("$this.") {
        return match rest.split_once('.') {
            Some((prefix, name)) if prefix == namespace && is_input_name(name) => {
                WithSource::Input {
                    name,
                    foreign_prefix: None,
                }
            }
            _ => WithSource::Literal(text),
        };
    }
    match text.split_once('.') {
        Some((prefix, name)) if is_namespace(prefix) && is_input_name(name) => {
            let foreign_prefix = (prefix != namespace).then_some(prefix);
            WithSource::Input {
                name,
                foreign_prefix,
            }
        }
        _ => WithSource::Literal(text),
    }
}

fn is_namespace(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_input_name(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Whether a JSONPath selects the whole payload (`$` or `$.`).
pub fn is_whole_payload(path: &str) -> bool {
    matches!(path.trim(), "$" | "$.")
}

/// Seed dialect (C104): a top-level exposed output `type: object` with a `mapping` and no
/// `properties` (or `type: array` with a `mapping` and no `items`). The engine would return
/// `{}`; capgen passes the selected part of the upstream body through unchanged. Returns the
/// mapping.
pub fn passthrough_mapping(output: &OutputParameter) -> Option<&str> {
    let mapping = output.mapping.as_deref()?;
    match output.ty {
        ParamType::Object if output.properties.is_none() => Some(mapping),
        ParamType::Array if output.items.is_none() => Some(mapping),
        _ => None,
    }
}

/// A Mustache reference to a bind variable: `{{KEY}}` or, qualified, `{{namespace.KEY}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindRef<'a> {
    /// The text between the braces, trimmed.
    pub written: &'a str,
    pub namespace: Option<&'a str>,
    pub key: &'a str,
}

/// The bind references (`{{…}}`) in `text`, in order.
pub fn bind_refs(text: &str) -> Vec<BindRef<'_>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let written = after[..end].trim();
        if !written.is_empty() {
            let (namespace, key) = match written.split_once('.') {
                Some((ns, key)) => (Some(ns), key),
                None => (None, written),
            };
            out.push(BindRef {
                written,
                namespace,
                key,
            });
        }
        rest = &after[end + 2..];
    }
    out
}

/// The names a Mustache template reads (`{{x}}`, `{{{x}}}`, `{{&x}}`, and the names of
/// sections `{{#x}}…{{/x}}` and `{{^x}}…{{/x}}`), in order, each once. Comments and closing
/// tags are not reads.
pub fn template_names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let (inner, tail) = if let Some(triple) = after.strip_prefix('{') {
            match triple.find("}}}") {
                Some(end) => (&triple[..end], &triple[end + 3..]),
                None => break,
            }
        } else {
            match after.find("}}") {
                Some(end) => (&after[..end], &after[end + 2..]),
                None => break,
            }
        };
        rest = tail;
        let inner = inner.trim();
        let name = match inner.chars().next() {
            Some('!' | '/' | '>' | '=') | None => continue,
            Some('#' | '^' | '&') => inner[1..].trim(),
            Some(_) => inner,
        };
        if !name.is_empty() && name != "." && !out.iter().any(|it| it == name) {
            out.push(name.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_cover_every_tag_form() {
        let names =
            template_names("{{a}}/{{{b}}}/{{& c }}{{#d}}{{e}}{{/d}}{{^f}}x{{/f}}{{! no }}{{a}}");
        assert_eq!(names, ["a", "b", "c", "d", "e", "f"]);
        assert!(template_names("{{unclosed").is_empty());
    }

    #[test]
    fn placeholders_of_both_forms() {
        let found = placeholders("/a/{{x}}/b/{y}/c/{ z }");
        let names: Vec<_> = found
            .iter()
            .map(|it| (it.name.as_str(), it.double))
            .collect();
        assert_eq!(names, [("x", true), ("y", false), ("z", false)]);
        assert_eq!(found[1].written(), "{y}");
        assert_eq!(&"/a/{{x}}/b/{y}"[found[1].range.clone()], "{y}");
        assert!(placeholders("/a/{unclosed").is_empty());
    }

    #[test]
    fn server_variables_are_single_brace() {
        let vars = server_variables("https://{appName}.azurewebsites.net/{{tenant}}");
        assert_eq!(vars.len(), 1);
        assert_eq!(vars[0].name, "appName");
    }

    #[test]
    fn with_values_are_classified() {
        let s = |it: &str| WithValue::String(it.to_owned());
        let own = s("rest.top");
        assert_eq!(
            classify_with(&own, "rest"),
            WithSource::Input {
                name: "top",
                foreign_prefix: None
            }
        );
        assert_eq!(
            classify_with(&own, "http-orchestrations-rest"),
            WithSource::Input {
                name: "top",
                foreign_prefix: Some("rest")
            }
        );
        let this = s("$this.hints-mcp.record-id");
        assert_eq!(
            classify_with(&this, "hints-mcp"),
            WithSource::Input {
                name: "record-id",
                foreign_prefix: None
            }
        );
        let template = s("{{imo}}");
        assert_eq!(
            classify_with(&template, "x"),
            WithSource::Template("{{imo}}")
        );
        let literal = s("test-db-id-123");
        assert_eq!(
            classify_with(&literal, "x"),
            WithSource::Literal("test-db-id-123")
        );
        let version = s("1.5");
        assert_eq!(classify_with(&version, "x"), WithSource::Literal("1.5"));
    }

    #[test]
    fn bind_refs_split_namespaces() {
        let refs = bind_refs("Bearer {{ env.TOKEN }} and {{PLAIN}}");
        assert_eq!(refs.len(), 2);
        assert_eq!((refs[0].namespace, refs[0].key), (Some("env"), "TOKEN"));
        assert_eq!((refs[1].namespace, refs[1].key), (None, "PLAIN"));
    }

    #[test]
    fn whole_payload_paths() {
        assert!(is_whole_payload("$."));
        assert!(is_whole_payload(" $ "));
        assert!(!is_whole_payload("$.data"));
    }
}
