//! MCP `resources`: which resources there are (`resources/list`, `resources/templates/list`)
//! and what a `resources/read` URI means. A resource is a consumed operation's answer (`call`,
//! or orchestrated `steps`), at a fixed URI or a URI template (`data://users/{userId}`, each
//! `{name}` one path segment, percent-decoded), or the files of a `file:///` directory (one
//! resource per file, below the resource's URI). Reading the answers themselves is up to the
//! MCP handler, which has the upstream.
//!
//! A file URI is read only when every segment below the resource's URI is a plain name
//! (`[A-Za-z0-9._-]`, not `.` or `..`) and the file, with symbolic links followed, stays inside
//! the directory. Where capgen differs from the alpha2 engine: an unknown URI is `-32002`
//! (resource not found) for 2025-11-25 clients, as MCP then recommends (rmcp sends `-32602` to
//! 2026-07-28 clients, as that era asks; the engine always does), a file that is not
//! UTF-8 is returned as a base64 `blob` (the engine fails), and `file:///./x` is relative to
//! the working directory (as binds files are).

use std::path::{Component, Path, PathBuf};

use rmcp::ErrorData;
use rmcp::model::{ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult};
use serde_json::{Map, Value, json};

use crate::support::mapping::Output;
use crate::support::prompts::location_path;
use crate::support::steps::Orchestration;
use crate::support::upstream::{ArgSpec, CallFn};

/// One resource.
pub struct ResourceSpec<S: 'static> {
    /// The resource name.
    pub name: &'static str,
    /// `title` (the capability's `label`).
    pub title: Option<&'static str>,
    /// The URI, a URI template, or (directories) the prefix of the files' URIs.
    pub uri: &'static str,
    /// What it is.
    pub description: Option<&'static str>,
    /// The media type of its content (default `application/json` for answers, guessed from
    /// the extension for files).
    pub mime_type: Option<&'static str>,
    /// Where the content comes from.
    pub source: ResourceSource<S>,
}

/// Where a resource's content comes from.
pub enum ResourceSource<S: 'static> {
    /// A consumed operation's answer.
    Call {
        /// The generated call.
        call: CallFn<S>,
        /// How each consumed input gets its value (the URI template's variables are inputs).
        arguments: &'static [ArgSpec],
        /// Whether every input reaches the call (a declared request).
        all_inputs: bool,
        /// How the answer is shaped.
        output: Output,
    },
    /// Orchestrated steps.
    Steps(&'static Orchestration<S>),
    /// The files of a `file:///` directory.
    Directory(&'static str),
}

/// What a `resources/read` URI names.
pub enum Target<'a, S: 'static> {
    /// A file of a directory resource.
    File {
        /// The file.
        path: PathBuf,
        /// Its media type.
        mime_type: String,
    },
    /// An answer of a call or steps resource, with the URI template's variables.
    Answer {
        /// The resource.
        spec: &'a ResourceSpec<S>,
        /// The variables, as the call's inputs.
        inputs: Map<String, Value>,
    },
}

fn is_template(uri: &str) -> bool {
    uri.contains('{') && uri.contains('}')
}

// Results carry `resultType: "complete"` for 2026-07-28 peers; rmcp removes it for older ones.

/// The `resources/list` result: each fixed-URI resource, and every file of each directory.
pub fn list<S>(resources: &[ResourceSpec<S>]) -> ListResourcesResult {
    let mut entries = Vec::new();
    for spec in resources {
        let entry = |uri: String, mime_type: Option<String>| {
            let mut entry = json!({ "uri": uri, "name": spec.name });
            entry["title"] = json!(spec.title.unwrap_or(spec.name));
            if let Some(description) = spec.description {
                entry["description"] = json!(description);
            }
            if let Some(mime_type) = mime_type {
                entry["mimeType"] = json!(mime_type);
            }
            entry
        };
        match &spec.source {
            ResourceSource::Directory(location) => {
                let root = location_path(location);
                for relative in files(&root) {
                    let mime_type = spec
                        .mime_type
                        .map(str::to_owned)
                        .unwrap_or_else(|| guess_mime_type(&relative).to_owned());
                    entries.push(entry(format!("{}/{relative}", spec.uri), Some(mime_type)));
                }
            }
            _ if is_template(spec.uri) => {}
            _ => {
                let mime_type = spec.mime_type.unwrap_or("application/json").to_owned();
                entries.push(entry(spec.uri.to_owned(), Some(mime_type)));
            }
        }
    }
    serde_json::from_value(json!({ "resultType": "complete", "resources": entries }))
        .unwrap_or_default()
}

/// The `resources/templates/list` result.
pub fn templates<S>(resources: &[ResourceSpec<S>]) -> ListResourceTemplatesResult {
    let entries: Vec<Value> = resources
        .iter()
        .filter(|it| !matches!(it.source, ResourceSource::Directory(_)) && is_template(it.uri))
        .map(|spec| {
            let mut entry = json!({ "uriTemplate": spec.uri, "name": spec.name });
            if let Some(title) = spec.title {
                entry["title"] = json!(title);
            }
            if let Some(description) = spec.description {
                entry["description"] = json!(description);
            }
            entry["mimeType"] = json!(spec.mime_type.unwrap_or("application/json"));
            entry
        })
        .collect();
    serde_json::from_value(json!({ "resultType": "complete", "resourceTemplates": entries }))
        .unwrap_or_default()
}

/// The regular files under `root`, as `/`-separated relative paths in byte order (none when
/// the directory cannot be read).
fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(root.join(&relative)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = relative.join(entry.file_name());
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => pending.push(path),
                Ok(kind) if kind.is_file() => {
                    let parts: Vec<String> = path
                        .components()
                        .map(|it| it.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    out.push(parts.join("/"));
                }
                _ => {}
            }
        }
    }
    out.sort();
    out
}

/// What `uri` names: the first resource (in declaration order) it matches.
pub fn resolve<'a, S>(
    resources: &'a [ResourceSpec<S>],
    uri: &str,
) -> Result<Target<'a, S>, ErrorData> {
    for spec in resources {
        match &spec.source {
            ResourceSource::Directory(location) => {
                let Some(relative) = uri.strip_prefix(spec.uri) else {
                    continue;
                };
                if !relative.is_empty() && !relative.starts_with('/') {
                    continue;
                }
                let relative = relative.strip_prefix('/').unwrap_or(relative);
                let path = file_in(&location_path(location), relative, uri)?;
                let mime_type = spec
                    .mime_type
                    .map(str::to_owned)
                    .unwrap_or_else(|| guess_mime_type(&path.to_string_lossy()).to_owned());
                return Ok(Target::File { path, mime_type });
            }
            _ => {
                if let Some(inputs) = match_template(spec.uri, uri) {
                    return Ok(Target::Answer { spec, inputs });
                }
            }
        }
    }
    Err(ErrorData::resource_not_found(
        format!("no resource has the URI `{uri}`"),
        Some(json!({ "uri": uri })),
    ))
}

/// The file `relative` names under `root`, refused when it could leave it.
fn file_in(root: &Path, relative: &str, uri: &str) -> Result<PathBuf, ErrorData> {
    let unsafe_segment = relative.split('/').find(|segment| {
        segment.is_empty()
            || *segment == "."
            || *segment == ".."
            || !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    });
    if let Some(segment) = unsafe_segment {
        return Err(ErrorData::invalid_params(
            format!("`{uri}`: `{segment}` is not a plain file or directory name"),
            None,
        ));
    }
    let not_found = || {
        ErrorData::resource_not_found(
            format!("no resource has the URI `{uri}`"),
            Some(json!({ "uri": uri })),
        )
    };
    let base = root.canonicalize().map_err(|_| not_found())?;
    let target = base
        .join(relative)
        .canonicalize()
        .map_err(|_| not_found())?;
    // Component-wise: `/a/bc` does not start with `/a/b`.
    let inside = target.starts_with(&base)
        && !target
            .components()
            .skip(base.components().count())
            .any(|it| matches!(it, Component::ParentDir));
    if !inside {
        return Err(ErrorData::invalid_params(
            format!("`{uri}` leads outside the resource's directory"),
            None,
        ));
    }
    if !target.is_file() {
        return Err(ErrorData::invalid_params(
            format!("`{uri}` is a directory, not a file"),
            None,
        ));
    }
    Ok(target)
}

/// A file's content: text when it is UTF-8, else a base64 `blob`.
pub fn read_file(uri: &str, path: &Path, mime_type: &str) -> Result<ReadResourceResult, ErrorData> {
    let bytes = std::fs::read(path).map_err(|_| {
        ErrorData::resource_not_found(
            format!("`{uri}` cannot be read"),
            Some(json!({ "uri": uri })),
        )
    })?;
    let content = match String::from_utf8(bytes) {
        Ok(text) => json!({ "uri": uri, "mimeType": mime_type, "text": text }),
        Err(err) => {
            use base64::Engine as _;
            let blob = base64::engine::general_purpose::STANDARD.encode(err.into_bytes());
            json!({ "uri": uri, "mimeType": mime_type, "blob": blob })
        }
    };
    text_result(content)
}

/// A `resources/read` result of one content.
pub fn text_result(content: Value) -> Result<ReadResourceResult, ErrorData> {
    serde_json::from_value(json!({ "resultType": "complete", "contents": [content] }))
        .map_err(|err| ErrorData::internal_error(format!("resource content: {err}"), None))
}

/// The variables of `template` in `uri` (each `{name}` one non-empty segment without `/`,
/// percent-decoded), or `None` when `uri` does not match.
pub fn match_template(template: &str, uri: &str) -> Option<Map<String, Value>> {
    let mut variables = Map::new();
    let mut rest_template = template;
    let mut rest_uri = uri;
    loop {
        let Some(open) = rest_template.find('{') else {
            return (rest_template == rest_uri).then_some(variables);
        };
        let close = open + rest_template[open..].find('}')?;
        let literal = &rest_template[..open];
        rest_uri = rest_uri.strip_prefix(literal)?;
        let name = &rest_template[open + 1..close];
        rest_template = &rest_template[close + 1..];
        // The value runs to the next `/` or to where the next literal starts.
        let next_literal = &rest_template[..rest_template.find('{').unwrap_or(rest_template.len())];
        let end = rest_uri.find('/').unwrap_or(rest_uri.len());
        let end = if next_literal.is_empty() || next_literal.starts_with('/') {
            end
        } else {
            rest_uri[..end].find(next_literal)?
        };
        if end == 0 {
            return None;
        }
        let value = percent_encoding::percent_decode_str(&rest_uri[..end])
            .decode_utf8()
            .ok()?
            .into_owned();
        variables.insert(name.to_owned(), Value::String(value));
        rest_uri = &rest_uri[end..];
    }
}

/// The media type of a file, from its extension.
pub fn guess_mime_type(path: &str) -> &'static str {
    let extension = path
        .rsplit('.')
        .next()
        .filter(|_| path.contains('.'))
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("md" | "markdown") => "text/markdown",
        Some("json") => "application/json",
        Some("yaml" | "yml") => "application/yaml",
        Some("txt") => "text/plain",
        Some("xml") => "application/xml",
        Some("html" | "htm") => "text/html",
        Some("csv") => "text/csv",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("pdf") => "application/pdf",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_one_segment_per_variable() {
        // ResourcesPromptsIntegrationTest.matchTemplate* and ResourceHandlerSafetyTest.
        assert_eq!(
            match_template("data://databases/schema", "data://databases/schema"),
            Some(Map::new())
        );
        assert_eq!(
            match_template("data://databases/schema", "data://databases/other"),
            None
        );
        let found = match_template("data://users/{userId}/profile", "data://users/42/profile");
        assert_eq!(
            found.and_then(|it| it.get("userId").cloned()),
            Some(json!("42"))
        );
        let both = match_template(
            "data://orgs/{orgId}/users/{userId}",
            "data://orgs/acme/users/bob",
        )
        .unwrap_or_default();
        assert_eq!(
            (both["orgId"].clone(), both["userId"].clone()),
            (json!("acme"), json!("bob"))
        );
        assert_eq!(
            match_template("data://users/{userId}/profile", "data://users/a/b/profile"),
            None
        );
        assert_eq!(
            match_template("data://users/{userId}", "data://users/"),
            None
        );
        let decoded =
            match_template("data://users/{userId}", "data://users/a%20b").unwrap_or_default();
        assert_eq!(decoded["userId"], json!("a b"));
        let dotted =
            match_template("data://f/{name}.json", "data://f/report.json").unwrap_or_default();
        assert_eq!(dotted["name"], json!("report"));
    }

    #[test]
    fn files_stay_inside_their_directory() {
        let dir = std::env::temp_dir().join(format!("capgen-resources-{}", std::process::id()));
        let docs = dir.join("docs");
        let _ = std::fs::create_dir_all(docs.join("sub"));
        let _ = std::fs::write(docs.join("guide.md"), "# guide\n");
        let _ = std::fs::write(docs.join("sub/data.json"), "{}");
        let _ = std::fs::write(dir.join("secrets.txt"), "no");
        assert!(file_in(&docs, "guide.md", "u").is_ok());
        assert!(file_in(&docs, "sub/data.json", "u").is_ok());
        for refused in [
            "../secrets.txt",
            "sub/../guide.md",
            "a//b",
            "my file.md",
            "a%2e%2e",
            "",
        ] {
            assert!(file_in(&docs, refused, "u").is_err(), "{refused}");
        }
        assert!(file_in(&docs, "sub", "u").is_err(), "a directory");
        assert_eq!(
            files(&docs),
            vec!["guide.md".to_owned(), "sub/data.json".to_owned()]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn media_types_from_extensions() {
        assert_eq!(guess_mime_type("a/guide.md"), "text/markdown");
        assert_eq!(guess_mime_type("x.YAML"), "application/yaml");
        assert_eq!(guess_mime_type("noext"), "application/octet-stream");
    }
}
