//! Deserialization of the model's tagged enums (on `type`) without losing error locations.
//!
//! `serde`'s derived internally tagged enums buffer their content, so an error inside a variant
//! would be reported at the enum node, not at the offending field. Here each tagged enum buffers
//! its node into a `serde_json::Value`, picks the variant from the tag, and deserializes the
//! variant with `serde_path_to_error`. An error carries its path relative to the enum node inside
//! its message, between two [`MARK`] characters; [`split_located`] takes it out again so the
//! loader can join it to the outer path.

use serde::de::{self, DeserializeOwned, Unexpected};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::load::diagnostics::escape_pointer_segment;

/// Frames a relative JSON pointer at the start of an error message.
const MARK: char = '\u{1}';

/// Buffers the node being deserialized; it must be a mapping.
pub(crate) fn buffer_object<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
    let value = Value::deserialize(deserializer)?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(de::Error::invalid_type(unexpected(&value), &"a mapping"))
    }
}

/// The string value of the tag field `key`, which must be one of `variants`.
pub(crate) fn tag<'v, E: de::Error>(
    value: &'v Value,
    key: &'static str,
    variants: &'static [&'static str],
) -> Result<&'v str, E> {
    match value.get(key) {
        None => Err(E::missing_field(key)),
        Some(Value::String(it)) if variants.contains(&it.as_str()) => Ok(it),
        Some(Value::String(it)) => {
            let message = E::unknown_variant(it, variants).to_string();
            Err(located(&format!("/{key}"), &message))
        }
        Some(other) => {
            let message = E::invalid_type(unexpected(other), &"a string").to_string();
            Err(located(&format!("/{key}"), &message))
        }
    }
}

/// Deserializes `value` as `T`, keeping the location of an error inside it.
pub(crate) fn nested<T: DeserializeOwned, E: de::Error>(value: &Value) -> Result<T, E> {
    serde_path_to_error::deserialize::<_, T>(value).map_err(|err| {
        let outer = path_to_pointer(err.path());
        let (inner, message) = split_located(&err.inner().to_string());
        located(&format!("{outer}{inner}"), &message)
    })
}

/// Builds an error whose message carries `pointer` (relative to the node being deserialized).
pub(crate) fn located<E: de::Error>(pointer: &str, message: &str) -> E {
    E::custom(format!("{MARK}{pointer}{MARK}{message}"))
}

/// Splits an error message into the relative pointer it carries (possibly empty) and the text.
pub(crate) fn split_located(message: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix(MARK)
        && let Some((pointer, text)) = rest.split_once(MARK)
    {
        return (pointer.to_owned(), text.to_owned());
    }
    (String::new(), message.to_owned())
}

/// A `serde_path_to_error` path as a JSON pointer.
pub(crate) fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                out.push('/');
                out.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                out.push('/');
                out.push_str(&escape_pointer_segment(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    out
}

/// How `serde` names the kind of a JSON value in "invalid type" messages.
pub(crate) fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(it) => Unexpected::Bool(*it),
        Value::Number(it) => match (it.as_i64(), it.as_u64(), it.as_f64()) {
            (Some(n), _, _) => Unexpected::Signed(n),
            (_, Some(n), _) => Unexpected::Unsigned(n),
            (_, _, Some(n)) => Unexpected::Float(n),
            _ => Unexpected::Other("number"),
        },
        Value::String(it) => Unexpected::Str(it),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn located_messages_round_trip() {
        let err: serde_json::Error = located("/a/0", "boom");
        assert_eq!(
            split_located(&err.to_string()),
            ("/a/0".to_owned(), "boom".to_owned())
        );
        assert_eq!(split_located("plain"), (String::new(), "plain".to_owned()));
    }
}
