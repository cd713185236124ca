//! The capability's variables, resolved once at start-up as the Naftiko engine resolves
//! `binds`: from the environment variable named by the provider key, or from a `location` file
//! (`file:///…`, JSON, or YAML when it ends in `.yml`/`.yaml`; `file:///./x` is relative to
//! the working directory). A missing required value stops the server with one line naming it.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// One variable.
#[derive(Debug)]
pub struct VariableSpec {
    /// The name templates use (`REGISTRY_TOKEN`).
    pub variable: &'static str,
    /// The bind namespace (templates may also write `{{namespace.VARIABLE}}`).
    pub namespace: &'static str,
    /// The environment variable, or the key inside the `location` file.
    pub key: &'static str,
    /// A `file:///` location.
    pub location: Option<&'static str>,
    /// Whether a missing value stops the server.
    pub required: bool,
    /// Whether the value is a credential, never to appear in an answer.
    pub secret: bool,
}

/// The resolved variables.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    /// Name → value; each value is also reachable as `namespace.NAME`.
    pub values: Arc<BTreeMap<String, String>>,
    /// The values that are credentials.
    pub secrets: Vec<String>,
}

/// Resolves every variable, reading each `location` file once.
pub fn resolve(specs: &[VariableSpec]) -> Result<Variables, String> {
    let mut files: BTreeMap<&str, Value> = BTreeMap::new();
    let mut values = BTreeMap::new();
    let mut secrets = Vec::new();
    for spec in specs {
        let value = match spec.location {
            Some(location) => {
                if !files.contains_key(location) {
                    files.insert(location, read_location(location)?);
                }
                files
                    .get(location)
                    .and_then(|document| lookup(document, spec.key))
            }
            None => std::env::var(spec.key).ok().filter(|it| !it.is_empty()),
        };
        let Some(value) = value else {
            if !spec.required {
                continue;
            }
            return Err(match spec.location {
                Some(location) => format!(
                    "invalid bind: the key `{}` is missing from `{location}` (variable `{}` of the bind namespace `{}`)",
                    spec.key, spec.variable, spec.namespace
                ),
                None => format!(
                    "invalid bind: the environment variable `{}` is not set (variable `{}` of the bind namespace `{}`)",
                    spec.key, spec.variable, spec.namespace
                ),
            });
        };
        if spec.secret {
            secrets.push(value.clone());
        }
        values.insert(
            format!("{}.{}", spec.namespace, spec.variable),
            value.clone(),
        );
        values.insert(spec.variable.to_owned(), value);
    }
    Ok(Variables {
        values: Arc::new(values),
        secrets,
    })
}

/// A key of a bind file: a top-level key, else a dotted path into nested mappings.
fn lookup(document: &Value, key: &str) -> Option<String> {
    let found = document.get(key).or_else(|| {
        key.split('.')
            .try_fold(document, |current, part| current.get(part))
    })?;
    match found {
        Value::String(text) => Some(text.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The path a `file:///` location names.
pub fn location_path(location: &str) -> Result<std::path::PathBuf, String> {
    let Some(rest) = location.strip_prefix("file://") else {
        return Err(format!(
            "invalid bind: `{location}` is not a file:/// location (only files are read)"
        ));
    };
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8_lossy()
        .into_owned();
    Ok(match decoded.strip_prefix("/./") {
        Some(relative) => std::path::PathBuf::from(".").join(relative),
        None => std::path::PathBuf::from(decoded),
    })
}

fn read_location(location: &str) -> Result<Value, String> {
    let path = location_path(location)?;
    let text = std::fs::read_to_string(&path)
        .map_err(|err| format!("invalid bind: cannot read `{location}`: {err}"))?;
    let name = path.to_string_lossy().to_ascii_lowercase();
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        return parse_yaml(location, &text);
    }
    serde_json::from_str(&text)
        .map_err(|err| format!("invalid bind: `{location}` is not valid JSON: {err}"))
}

#[cfg(feature = "yaml")]
fn parse_yaml(location: &str, text: &str) -> Result<Value, String> {
    yaml_serde::from_str(text)
        .map_err(|err| format!("invalid bind: `{location}` is not valid YAML: {err}"))
}

#[cfg(not(feature = "yaml"))]
fn parse_yaml(location: &str, _text: &str) -> Result<Value, String> {
    Err(format!(
        "invalid bind: `{location}` is YAML, and this server was built without the `yaml` feature"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_locations_are_relative_to_the_working_directory() {
        assert_eq!(
            location_path("file:///./shared/secrets.yaml").ok(),
            Some(std::path::PathBuf::from("./shared/secrets.yaml"))
        );
        assert_eq!(
            location_path("file:///etc/x.json").ok(),
            Some(std::path::PathBuf::from("/etc/x.json"))
        );
        assert!(location_path("https://example.com/x").is_err());
    }

    #[test]
    fn missing_required_variables_are_named() {
        static SPECS: &[VariableSpec] = &[VariableSpec {
            variable: "TOKEN",
            namespace: "env",
            key: "CAPGEN_TEST_SURELY_UNSET_VARIABLE",
            location: None,
            required: true,
            secret: true,
        }];
        let err = resolve(SPECS).err().unwrap_or_default();
        assert!(err.contains("CAPGEN_TEST_SURELY_UNSET_VARIABLE"), "{err}");
        assert!(err.contains("`TOKEN`"), "{err}");
    }

    #[test]
    fn file_keys_may_be_nested() {
        let document = serde_json::json!({"a": {"b": "x"}, "n": 3});
        assert_eq!(lookup(&document, "a.b").as_deref(), Some("x"));
        assert_eq!(lookup(&document, "n").as_deref(), Some("3"));
        assert_eq!(lookup(&document, "missing"), None);
    }
}
