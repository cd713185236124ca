//! Recognising a capability document and reading it into the typed model: the root must be a
//! mapping (S004) with a supported `naftiko` version (C001), and every node must have the type
//! the model expects (C002, located at the offending node with a plain-English message).

use std::sync::Arc;

use serde_json::Value;

use super::model::tagged::{path_to_pointer, split_located};
use super::model::{Capability, NaftikoVersion};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::load::source::SourceFile;

/// Checks the root and the version. `None` means the document is not a capability capgen reads.
pub fn check_root(
    file: &Arc<SourceFile>,
    raw: &Value,
    diags: &mut Diagnostics,
) -> Option<NaftikoVersion> {
    let Some(root) = raw.as_object() else {
        let mut diagnostic = Diagnostic::error(
            Code::NotAMapping,
            format!(
                "a capability document must be a mapping, found {}",
                kind_of(raw)
            ),
        )
        .at(file, "");
        if looks_like_omap(raw) {
            diagnostic = diagnostic.with_help(
                "the root is a list of one-key mappings, as YAML `!!omap` produces; write it as a \
                 plain mapping (drop the `!!omap` tags and the `- ` before each key)",
            );
        }
        diags.push(diagnostic);
        return None;
    };
    let supported = supported_versions();
    let version = match root.get("naftiko") {
        Some(Value::String(text)) => match NaftikoVersion::parse(text) {
            Some(version) => version,
            None => {
                diags.push(
                    Diagnostic::error(
                        Code::CapabilityVersion,
                        format!("unsupported naftiko version `{text}`; capgen reads {supported}"),
                    )
                    .at(file, "/naftiko"),
                );
                return None;
            }
        },
        Some(other) => {
            diags.push(
                Diagnostic::error(
                    Code::CapabilityVersion,
                    format!(
                        "`naftiko` must be a version string ({supported}), found {}",
                        kind_of(other)
                    ),
                )
                .at(file, "/naftiko")
                .with_help("quote the version: `naftiko: \"1.0.0-alpha2\"`"),
            );
            return None;
        }
        None => {
            let mut diagnostic = Diagnostic::error(
                Code::CapabilityVersion,
                format!("missing `naftiko` version; capgen reads {supported}"),
            )
            .at(file, "/naftiko");
            if root.contains_key("ikanos") {
                diagnostic = diagnostic.with_help(
                    "this is an Ikanos document (Naftiko's successor after 1.0.0-alpha2); capgen \
                     reads only `naftiko:` documents",
                );
            }
            diags.push(diagnostic);
            return None;
        }
    };
    if !root.contains_key("capability") && !root.contains_key("consumes") {
        diags.push(
            Diagnostic::error(
                Code::CapabilityShape,
                "the document has neither `capability` nor a root `consumes` list",
            )
            .at(file, "")
            .with_help(
                "a capability declares `capability: {exposes, consumes}`; a shared consumer file \
                 declares a root `consumes` list",
            ),
        );
        return None;
    }
    Some(version)
}

/// Reads the document into the model; a type error becomes one located C002 error.
pub fn deserialize(
    file: &Arc<SourceFile>,
    raw: &Value,
    diags: &mut Diagnostics,
) -> Option<Capability> {
    match serde_path_to_error::deserialize::<_, Capability>(raw) {
        Ok(capability) => {
            check_not_empty(file, &capability, diags);
            Some(capability)
        }
        Err(err) => {
            let outer = path_to_pointer(err.path());
            let (inner, message) = split_located(&err.inner().to_string());
            let pointer = format!("{outer}{inner}");
            let message = humanize(&message, &pointer);
            diags.push(Diagnostic::error(Code::CapabilityShape, message).at(file, pointer));
            None
        }
    }
}

fn check_not_empty(file: &Arc<SourceFile>, capability: &Capability, diags: &mut Diagnostics) {
    if let Some(spec) = &capability.capability
        && spec.exposes.is_empty()
        && spec.consumes.is_empty()
    {
        diags.push(
            Diagnostic::warning(
                Code::CapabilityShape,
                "`capability` declares neither `exposes` nor `consumes`; there is nothing to \
                 generate",
            )
            .at_key(file, "/capability"),
        );
    }
}

fn supported_versions() -> String {
    let names: Vec<String> = NaftikoVersion::ALL
        .iter()
        .map(|it| format!("`{}`", it.as_str()))
        .collect();
    names.join(" and ")
}

fn looks_like_omap(raw: &Value) -> bool {
    raw.as_array().is_some_and(|items| {
        !items.is_empty()
            && items
                .iter()
                .all(|it| it.as_object().is_some_and(|map| map.len() == 1))
            && items.iter().any(|it| it.get("naftiko").is_some())
    })
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "an empty value",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Turns a `serde` message into one that names the field and uses YAML words.
pub(crate) fn humanize(message: &str, pointer: &str) -> String {
    let field = field_name(pointer);
    if let Some(rest) = message.strip_prefix("missing field ") {
        let owner = dotted(pointer);
        return if owner.is_empty() {
            format!("missing required field {rest} at the document root")
        } else {
            format!("missing required field {rest} in `{owner}`")
        };
    }
    for (prefix, what) in [
        ("invalid type: ", "found"),
        ("invalid value: ", "found the invalid value"),
    ] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            return format!(
                "expected {} for {field}, {what} {}",
                describe_expected(expected),
                describe_found(found)
            );
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!("{field} has the unknown value {found}; expected {expected}");
    }
    format!("{field}: {message}")
}

/// "`port`", "item 2 of `tools`" or "the document root".
fn field_name(pointer: &str) -> String {
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    match segments.as_slice() {
        [] => "the document root".to_owned(),
        [.., parent, last] if last.parse::<usize>().is_ok() => {
            format!("item {last} of `{}`", unescape(parent))
        }
        [.., last] => format!("`{}`", unescape(last)),
    }
}

/// `/capability/exposes/0/port` → `capability.exposes[0].port`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for segment in pointer.split('/').skip(1) {
        if segment.parse::<usize>().is_ok() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&unescape(segment));
        }
    }
    out
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

fn describe_expected(expected: &str) -> String {
    match expected {
        "u16" => "an integer between 0 and 65535".to_owned(),
        "u8" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" => {
            "an integer".to_owned()
        }
        "f32" | "f64" => "a number".to_owned(),
        "a sequence" => "a list".to_owned(),
        "a map" => "a mapping".to_owned(),
        "a borrowed string" => "a string".to_owned(),
        other if other.starts_with("struct ") => "a mapping".to_owned(),
        other => other.to_owned(),
    }
}

fn describe_found(found: &str) -> String {
    match found {
        "map" => "a mapping".to_owned(),
        "sequence" => "a list".to_owned(),
        "unit value" | "null" => "an empty value".to_owned(),
        other => other
            .replace("string ", "the string ")
            .replace("integer ", "the integer "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_field() {
        assert_eq!(
            humanize(
                "invalid type: string \"abc\", expected u16",
                "/capability/exposes/0/port"
            ),
            "expected an integer between 0 and 65535 for `port`, found the string \"abc\""
        );
        assert_eq!(
            humanize(
                "invalid type: map, expected a sequence",
                "/capability/exposes/1/tools"
            ),
            "expected a list for `tools`, found a mapping"
        );
        assert_eq!(
            humanize("missing field `namespace`", "/capability/consumes/0"),
            "missing required field `namespace` in `capability.consumes[0]`"
        );
        assert_eq!(
            humanize(
                "unknown variant `get`, expected one of `GET`, `POST`",
                "/a/method"
            ),
            "`method` has the unknown value `get`; expected one of `GET`, `POST`"
        );
        assert_eq!(
            humanize(
                "invalid type: string \"x\", expected a mapping",
                "/capability/exposes/2"
            ),
            "expected a mapping for item 2 of `exposes`, found the string \"x\""
        );
    }
}
