//! MCP `prompts`: `prompts/list` and `prompts/get`, from the capability's `template` messages or
//! a `location` file, with the arguments substituted as the Naftiko engine does (`{{name}}`
//! replaced by the value as written, one pass, no re-scanning of what was inserted; a placeholder
//! of an argument not given stays as written).
//!
//! Where capgen differs from the alpha2 engine: a missing required argument is an error
//! (`-32602`, as MCP asks servers to answer), argument names may contain `-`, and a prompt file
//! given as `file:///./x` is read relative to the working directory (as binds files are).

use std::collections::BTreeMap;

use rmcp::ErrorData;
use rmcp::model::{GetPromptResult, ListPromptsResult};
use serde_json::{Map, Value, json};

/// One prompt.
#[derive(Debug)]
pub struct PromptSpec {
    /// The prompt name.
    pub name: &'static str,
    /// `title` (the capability's `label`).
    pub title: Option<&'static str>,
    /// What the prompt is for.
    pub description: Option<&'static str>,
    /// Its arguments.
    pub arguments: &'static [PromptArgument],
    /// Inline messages as (role, content template).
    pub messages: &'static [(&'static str, &'static str)],
    /// A `file:///` prompt file: one `user` message (instead of `messages`).
    pub file: Option<&'static str>,
}

/// One argument of a prompt.
#[derive(Debug)]
pub struct PromptArgument {
    /// The argument name.
    pub name: &'static str,
    /// `title` (the capability's `label`).
    pub title: Option<&'static str>,
    /// What it is.
    pub description: Option<&'static str>,
    /// Whether `prompts/get` needs it.
    pub required: bool,
}

/// The `prompts/list` result.
pub fn list(prompts: &[PromptSpec]) -> ListPromptsResult {
    let entries: Vec<Value> = prompts
        .iter()
        .map(|prompt| {
            let mut entry = json!({ "name": prompt.name });
            if let Some(title) = prompt.title {
                entry["title"] = json!(title);
            }
            if let Some(description) = prompt.description {
                entry["description"] = json!(description);
            }
            if !prompt.arguments.is_empty() {
                let arguments: Vec<Value> = prompt
                    .arguments
                    .iter()
                    .map(|argument| {
                        let mut entry =
                            json!({ "name": argument.name, "required": argument.required });
                        if let Some(title) = argument.title {
                            entry["title"] = json!(title);
                        }
                        if let Some(description) = argument.description {
                            entry["description"] = json!(description);
                        }
                        entry
                    })
                    .collect();
                entry["arguments"] = Value::Array(arguments);
            }
            entry
        })
        .collect();
    serde_json::from_value(json!({ "resultType": "complete", "prompts": entries }))
        .unwrap_or_default()
}

/// The `prompts/get` result for `name` with `arguments`.
pub fn get(
    prompts: &[PromptSpec],
    name: &str,
    arguments: Option<&Map<String, Value>>,
) -> Result<GetPromptResult, ErrorData> {
    let Some(prompt) = prompts.iter().find(|it| it.name == name) else {
        return Err(ErrorData::invalid_params(
            format!("unknown prompt: {name}"),
            None,
        ));
    };
    let values: BTreeMap<&str, String> = arguments
        .into_iter()
        .flatten()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.as_str(), text)
        })
        .collect();
    let missing: Vec<&str> = prompt
        .arguments
        .iter()
        .filter(|it| it.required && !values.contains_key(it.name))
        .map(|it| it.name)
        .collect();
    if !missing.is_empty() {
        return Err(ErrorData::invalid_params(
            format!(
                "prompt `{name}` needs the argument(s) {}",
                missing
                    .iter()
                    .map(|it| format!("`{it}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        ));
    }
    let messages: Vec<Value> = match prompt.file {
        Some(location) => {
            let text = read_file(location).map_err(|err| {
                ErrorData::internal_error(
                    format!("the file of prompt `{name}` cannot be read: {err}"),
                    None,
                )
            })?;
            vec![message("user", &substitute(&text, &values))]
        }
        None => prompt
            .messages
            .iter()
            .map(|(role, content)| message(role, &substitute(content, &values)))
            .collect(),
    };
    // `resultType` for 2026-07-28 peers (rmcp removes it for older ones).
    let mut result = json!({ "resultType": "complete", "messages": messages });
    if let Some(description) = prompt.description {
        result["description"] = json!(description);
    }
    serde_json::from_value(result)
        .map_err(|err| ErrorData::internal_error(format!("prompt `{name}`: {err}"), None))
}

fn message(role: &str, text: &str) -> Value {
    json!({ "role": role, "content": { "type": "text", "text": text } })
}

/// The file a `file:///` location names (`file:///./x` relative to the working directory).
pub fn location_path(location: &str) -> std::path::PathBuf {
    let rest = location.strip_prefix("file://").unwrap_or(location);
    match rest.strip_prefix("/./") {
        Some(relative) => std::path::PathBuf::from(relative),
        None => std::path::PathBuf::from(
            percent_encoding::percent_decode_str(rest)
                .decode_utf8_lossy()
                .into_owned(),
        ),
    }
}

fn read_file(location: &str) -> std::io::Result<String> {
    std::fs::read_to_string(location_path(location))
}

/// `{{name}}` replaced by the argument's value in one pass; placeholders of arguments not given
/// stay as written, and inserted values are not scanned again.
pub fn substitute(template: &str, values: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(after.len());
        let name = &after[..name_len];
        match values.get(name) {
            Some(value) if !name.is_empty() && after[name_len..].starts_with("}}") => {
                out.push_str(value);
                rest = &after[name_len + 2..];
            }
            _ => {
                out.push_str("{{");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&'static str, &str)]) -> BTreeMap<&'static str, String> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    }

    #[test]
    fn placeholders_are_replaced_once_and_unknown_ones_stay() {
        // ResourcesPromptsIntegrationTest / PromptHandlerTest substitution cases.
        let args = values(&[("name", "Alice"), ("product", "Naftiko")]);
        assert_eq!(
            substitute("Hello {{name}}, welcome to {{product}}!", &args),
            "Hello Alice, welcome to Naftiko!"
        );
        assert_eq!(
            substitute("Hello {{name}} from {{team}}!", &args),
            "Hello Alice from {{team}}!"
        );
        let nested = values(&[("greeting", "Hi {{admin}}"), ("admin", "root")]);
        assert_eq!(
            substitute("{{greeting}} there", &nested),
            "Hi {{admin}} there"
        );
        let path = values(&[("value", "C:\\Users\\$HOME")]);
        assert_eq!(
            substitute("Path: {{value}}", &path),
            "Path: C:\\Users\\$HOME"
        );
        assert_eq!(substitute("{{ name }} {{name", &args), "{{ name }} {{name");
        let hyphen = values(&[("user-id", "u-1")]);
        assert_eq!(substitute("id={{user-id}}", &hyphen), "id=u-1");
    }

    static PROMPTS: &[PromptSpec] = &[PromptSpec {
        name: "summary",
        title: Some("Summary"),
        description: None,
        arguments: &[
            PromptArgument {
                name: "data",
                title: None,
                description: Some("The data"),
                required: true,
            },
            PromptArgument {
                name: "format",
                title: None,
                description: None,
                required: false,
            },
        ],
        messages: &[
            ("user", "Summarize in {{format}}:\n\n{{data}}"),
            ("assistant", "Sure."),
        ],
        file: None,
    }];

    #[test]
    fn get_renders_every_message_and_requires_required_arguments() {
        let Value::Object(args) = json!({"data": "a, b", "format": "bullets"}) else {
            unreachable!()
        };
        let result = get(PROMPTS, "summary", Some(&args)).expect("rendered");
        let json = serde_json::to_value(&result).unwrap_or_default();
        assert_eq!(
            json["messages"][0]["content"]["text"],
            "Summarize in bullets:\n\na, b"
        );
        assert_eq!(json["messages"][1]["role"], "assistant");
        let Value::Object(partial) = json!({"format": "x"}) else {
            unreachable!()
        };
        assert!(get(PROMPTS, "summary", Some(&partial)).is_err());
        assert!(get(PROMPTS, "nope", None).is_err());
        let listed = serde_json::to_value(list(PROMPTS)).unwrap_or_default();
        assert_eq!(listed["prompts"][0]["arguments"][1]["required"], false);
    }

    #[test]
    fn locations_relative_to_the_working_directory() {
        assert_eq!(
            location_path("file:///./p/a.txt"),
            std::path::PathBuf::from("p/a.txt")
        );
        assert_eq!(
            location_path("file:///etc/x%20y"),
            std::path::PathBuf::from("/etc/x y")
        );
    }
}
