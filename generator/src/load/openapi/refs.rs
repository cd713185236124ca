//! `$ref` bundling: after this pass every reference in the document has the form
//! `#/components/<section>/<name>` and points at something that exists.
//!
//! - References into `components` of the main document stay as they are.
//! - Deep local pointers (`#/paths/~1pets/get/...`, `#/components/schemas/A/properties/b`) and
//!   references into other files (`common.yaml#/Pet`, `pet.json`) are copied into
//!   `components` under a fresh name, once per target, so recursion through them terminates.
//! - Network references are refused (never fetched); unresolved ones are errors at the `$ref`.
//!
//! Copied content remembers where it came from ([`Origins`]), so diagnostics about it point at
//! the file and line it was written in.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::load::diagnostics::{
    Code, Diagnostic, Diagnostics, escape_pointer_segment, pointer_join,
};
use crate::load::openapi::walk::{self, Kind};
use crate::load::source::SourceFile;

/// Maps pointers of copied content back to the file and pointer it was copied from.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    entries: Vec<(String, Arc<SourceFile>, String)>,
}

impl Origins {
    /// The file and pointer that `pointer` (in the bundled document) was written at.
    pub fn resolve(&self, main: &Arc<SourceFile>, pointer: &str) -> (Arc<SourceFile>, String) {
        let best = self
            .entries
            .iter()
            .filter(|(prefix, ..)| {
                pointer == prefix
                    || pointer.starts_with(prefix.as_str())
                        && pointer.as_bytes().get(prefix.len()) == Some(&b'/')
            })
            .max_by_key(|(prefix, ..)| prefix.len());
        match best {
            Some((prefix, file, original)) => (
                file.clone(),
                format!("{original}{}", &pointer[prefix.len()..]),
            ),
            None => (main.clone(), pointer.to_owned()),
        }
    }

    /// A diagnostic located at `pointer` of the bundled document.
    pub fn at(&self, main: &Arc<SourceFile>, diagnostic: Diagnostic, pointer: &str) -> Diagnostic {
        let (file, original) = self.resolve(main, pointer);
        diagnostic.at(&file, original)
    }

    /// A diagnostic located at the key of the member at `pointer` of the bundled document.
    pub fn at_key(
        &self,
        main: &Arc<SourceFile>,
        diagnostic: Diagnostic,
        pointer: &str,
    ) -> Diagnostic {
        let (file, original) = self.resolve(main, pointer);
        diagnostic.at_key(&file, original)
    }

    pub(crate) fn record(&mut self, prefix: String, file: Arc<SourceFile>, original: String) {
        self.entries.push((prefix, file, original));
    }
}

/// Splits a reference into its file part and its decoded JSON pointer.
pub(crate) fn split_ref(reference: &str) -> (&str, String) {
    let (file, fragment) = match reference.split_once('#') {
        Some((file, fragment)) => (file, fragment),
        None => (reference, ""),
    };
    let decoded = percent_encoding::percent_decode_str(fragment)
        .decode_utf8_lossy()
        .into_owned();
    (file, decoded)
}

pub(crate) fn is_network(reference: &str) -> bool {
    let lower = reference.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("//")
        || lower.starts_with("ftp://")
        || lower.starts_with("file://")
}

/// Unescapes one JSON pointer segment.
fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// `Value::pointer_mut` without an allocation per segment (only segments with `~` escapes are
/// copied).
fn node_mut<'v>(doc: &'v mut Value, pointer: &str) -> Option<&'v mut Value> {
    if pointer.is_empty() {
        return Some(doc);
    }
    let mut node = doc;
    for segment in pointer.strip_prefix('/')?.split('/') {
        let segment: std::borrow::Cow<'_, str> = if segment.contains('~') {
            unescape(segment).into()
        } else {
            segment.into()
        };
        node = match node {
            Value::Object(map) => map.get_mut(segment.as_ref())?,
            Value::Array(items) => items.get_mut(array_index(&segment)?)?,
            _ => return None,
        };
    }
    Some(node)
}

/// An array index as RFC 6901 writes it: digits, no sign, no leading zero.
fn array_index(segment: &str) -> Option<usize> {
    if segment.starts_with('+') || (segment.starts_with('0') && segment.len() > 1) {
        return None;
    }
    segment.parse().ok()
}

/// A file a `$ref` points into, and its parsed content.
type External = (Arc<SourceFile>, Arc<Value>);

pub struct Bundler<'a> {
    main: Arc<SourceFile>,
    /// Files read so far, parsed once (shared: a file is looked into once per `$ref` to it).
    externals: HashMap<PathBuf, Option<External>>,
    memo: HashMap<(PathBuf, String), String>,
    names: HashSet<(String, String)>,
    pub origins: Origins,
    diags: &'a mut Diagnostics,
    processed: HashSet<String>,
}

impl<'a> Bundler<'a> {
    /// A bundler for `doc`, whose content at some pointers was already copied in from other
    /// files (`origins`).
    pub fn new(
        main: Arc<SourceFile>,
        doc: &Value,
        origins: Origins,
        diags: &'a mut Diagnostics,
    ) -> Bundler<'a> {
        let mut names = HashSet::new();
        if let Some(components) = doc.get("components").and_then(Value::as_object) {
            for (section, entries) in components {
                for name in entries.as_object().into_iter().flat_map(|it| it.keys()) {
                    names.insert((section.clone(), name.clone()));
                }
            }
        }
        Bundler {
            main,
            externals: HashMap::new(),
            memo: HashMap::new(),
            names,
            origins,
            diags,
            processed: HashSet::new(),
        }
    }

    fn error(&mut self, code: Code, pointer: &str, message: String) {
        let diagnostic = self
            .origins
            .at(&self.main, Diagnostic::error(code, message), pointer);
        self.diags.push(diagnostic);
    }

    /// Bundles every reference of `doc`; `normalize` runs on every schema slot first (including
    /// content copied in from other files).
    pub fn run(&mut self, doc: &mut Value, normalize: &mut dyn FnMut(&mut Value, &str, &Origins)) {
        // Copying content in adds slots, so walk until nothing new appears.
        for _round in 0..64 {
            let slots = walk::slots(doc, "", None);
            let mut fresh = false;
            for slot in slots {
                if !self.processed.insert(slot.pointer.clone()) {
                    continue;
                }
                fresh = true;
                // One lookup per slot: a deep pointer costs thousands of instructions, and
                // Stripe's document has ~24k slots.
                let Some(node) = node_mut(doc, &slot.pointer) else {
                    continue;
                };
                if slot.kind == Kind::Schema {
                    normalize(node, &slot.pointer, &self.origins);
                }
                // Read after normalising, which may move a `$ref` that has siblings.
                let reference = node.get("$ref").map(|it| it.as_str().map(str::to_owned));
                match reference {
                    None => {}
                    Some(None) => {
                        let at = pointer_join(&slot.pointer, "$ref");
                        self.error(Code::BadRef, &at, "`$ref` must be a string".to_owned());
                        set_any(doc, &slot.pointer);
                    }
                    Some(Some(reference)) => {
                        self.reference(doc, slot.kind, &slot.pointer, &reference)
                    }
                }
            }
            if !fresh {
                break;
            }
        }
        self.check_pure_cycles(doc);
    }

    fn reference(&mut self, doc: &mut Value, kind: Kind, pointer: &str, reference: &str) {
        let at = pointer_join(pointer, "$ref");
        if is_network(reference) {
            self.error(
                Code::NetworkRef,
                &at,
                format!(
                    "`{reference}` is a network reference; capgen never fetches remote documents"
                ),
            );
            set_any(doc, pointer);
            return;
        }
        let (base_file, _) = self.origins.resolve(&self.main, pointer);
        let (file_part, fragment) = split_ref(reference);
        if !fragment.is_empty() && !fragment.starts_with('/') {
            self.error(
                Code::BadRef,
                &at,
                format!("`{reference}`: only JSON-pointer fragments (`#/...`) are supported"),
            );
            set_any(doc, pointer);
            return;
        }
        let target_path = if file_part.is_empty() {
            base_file.path().to_path_buf()
        } else {
            resolve_relative(base_file.path(), file_part)
        };
        let is_main = file_part.is_empty() && Arc::ptr_eq(&base_file, &self.main)
            || target_path == self.main.path();
        if is_main {
            let segments: Vec<&str> = fragment.split('/').skip(1).collect();
            if segments.len() == 3 && segments[0] == "components" {
                let section = unescape(segments[1]);
                if doc.pointer(&fragment).is_none() {
                    self.error(
                        Code::UnresolvedRef,
                        &at,
                        format!("`{reference}` points at nothing"),
                    );
                    set_any(doc, pointer);
                    return;
                }
                if section != kind.component_section() {
                    self.error(
                        Code::BadRef,
                        &at,
                        format!(
                            "`{reference}` is used where a {} is expected",
                            kind_name(kind)
                        ),
                    );
                    set_any(doc, pointer);
                    return;
                }
                if !file_part.is_empty() {
                    set_ref(doc, pointer, &format!("#{fragment}"));
                }
                return;
            }
            let Some(target) = doc.pointer(&fragment).cloned() else {
                self.error(
                    Code::UnresolvedRef,
                    &at,
                    format!("`{reference}` points at nothing"),
                );
                set_any(doc, pointer);
                return;
            };
            let main = self.main.clone();
            self.hoist(
                doc,
                kind,
                pointer,
                (main.path().to_path_buf(), fragment),
                target,
                main,
            );
            return;
        }
        let Some((file, value)) = self.external(&target_path) else {
            self.error(
                Code::UnresolvedRef,
                &at,
                format!("`{reference}`: cannot read `{}`", target_path.display()),
            );
            set_any(doc, pointer);
            return;
        };
        let Some(target) = value.pointer(&fragment).cloned() else {
            self.error(
                Code::UnresolvedRef,
                &at,
                format!(
                    "`{reference}`: `{}` has nothing at `#{fragment}`",
                    file.display_path()
                ),
            );
            set_any(doc, pointer);
            return;
        };
        self.hoist(doc, kind, pointer, (target_path, fragment), target, file);
    }

    fn hoist(
        &mut self,
        doc: &mut Value,
        kind: Kind,
        pointer: &str,
        key: (PathBuf, String),
        target: Value,
        file: Arc<SourceFile>,
    ) {
        if let Some(existing) = self.memo.get(&key) {
            let existing = existing.clone();
            set_ref(doc, pointer, &existing);
            return;
        }
        let section = kind.component_section();
        let name = self.fresh_name(section, &key.0, &key.1);
        let new_pointer = format!("/components/{section}/{}", escape_pointer_segment(&name));
        let new_ref = format!("#{new_pointer}");
        self.memo.insert(key.clone(), new_ref.clone());
        let Some(root) = doc.as_object_mut() else {
            return;
        };
        let components = root
            .entry("components")
            .or_insert_with(|| Value::Object(Default::default()));
        let Some(components) = components.as_object_mut() else {
            return;
        };
        let entries = components
            .entry(section)
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(entries) = entries.as_object_mut() {
            entries.insert(name, target);
        }
        self.origins.record(new_pointer, file, key.1);
        set_ref(doc, pointer, &new_ref);
    }

    fn fresh_name(&mut self, section: &str, path: &Path, fragment: &str) -> String {
        let last = fragment.rsplit('/').find(|it| !it.is_empty()).map(unescape);
        let base = match last {
            Some(last) if !matches!(last.as_str(), "schema" | "items") => last,
            _ => {
                let stem = path.file_stem().and_then(|it| it.to_str()).unwrap_or("Ref");
                let tail: Vec<String> = fragment
                    .split('/')
                    .filter(|it| !it.is_empty())
                    .map(unescape)
                    .collect();
                let tail = tail
                    .iter()
                    .rev()
                    .take(3)
                    .rev()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join("_");
                if tail.is_empty() {
                    stem.to_owned()
                } else {
                    format!("{stem}_{tail}")
                }
            }
        };
        let base: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut candidate = base.clone();
        let mut n = 2;
        while self
            .names
            .contains(&(section.to_owned(), candidate.clone()))
        {
            candidate = format!("{base}{n}");
            n += 1;
        }
        self.names.insert((section.to_owned(), candidate.clone()));
        candidate
    }

    fn external(&mut self, path: &Path) -> Option<External> {
        if !self.externals.contains_key(path) {
            let loaded = match SourceFile::read(path) {
                Ok(file) => match file.parse() {
                    Ok(value) => Some((file, Arc::new(value))),
                    Err(diagnostic) => {
                        self.diags.push(diagnostic);
                        None
                    }
                },
                Err(_) => None,
            };
            self.externals.insert(path.to_path_buf(), loaded);
        }
        self.externals.get(path).cloned().flatten()
    }

    /// A component that is only a `$ref` to itself (directly or through other pure refs) has no
    /// meaning; recursion through properties is fine and handled by the type generator.
    fn check_pure_cycles(&mut self, doc: &Value) {
        let Some(components) = doc.get("components").and_then(Value::as_object) else {
            return;
        };
        let mut cyclic = Vec::new();
        for (section, entries) in components {
            for name in entries.as_object().into_iter().flat_map(|it| it.keys()) {
                let start = format!("/components/{section}/{}", escape_pointer_segment(name));
                let mut seen = HashSet::new();
                let mut current = start.clone();
                while let Some(next) = doc
                    .pointer(&current)
                    .filter(|it| it.as_object().is_some_and(|o| o.len() == 1))
                    .and_then(|it| it.get("$ref"))
                    .and_then(Value::as_str)
                {
                    if !seen.insert(current.clone()) {
                        cyclic.push(start.clone());
                        break;
                    }
                    current = next.trim_start_matches('#').to_owned();
                }
            }
        }
        for pointer in cyclic {
            let at = pointer_join(&pointer, "$ref");
            self.error(
                Code::CyclicRef,
                &at,
                "this `$ref` leads back to itself through references only".to_owned(),
            );
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Schema => "schema",
        Kind::Parameter => "parameter",
        Kind::RequestBody => "request body",
        Kind::Response => "response",
        Kind::Header => "header",
        Kind::Example => "example",
        Kind::Link => "link",
        Kind::Callback => "callback",
        Kind::PathItem => "path item",
        Kind::SecurityScheme => "security scheme",
    }
}

pub(crate) fn resolve_relative(base: &Path, relative: &str) -> PathBuf {
    let decoded = percent_encoding::percent_decode_str(relative)
        .decode_utf8_lossy()
        .into_owned();
    let joined = base.parent().unwrap_or(Path::new("")).join(decoded);
    // Normalise `a/../b` without touching the file system.
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            std::path::Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn set_ref(doc: &mut Value, pointer: &str, reference: &str) {
    if let Some(Value::Object(object)) = doc.pointer_mut(pointer) {
        object.insert("$ref".to_owned(), Value::String(reference.to_owned()));
    }
}

/// Replaces a broken reference by an empty object so later stages can go on reporting.
fn set_any(doc: &mut Value, pointer: &str) {
    if let Some(node) = doc.pointer_mut(pointer) {
        *node = Value::Object(Default::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn node_mut_finds_what_pointer_mut_finds() {
        let mut doc = json!({"a/b": {"c~d": [1, {"e": 2}]}, "": {"x": 3}});
        let expected = doc.clone();
        for pointer in [
            "",
            "/a~1b",
            "/a~1b/c~0d/1/e",
            "/a~1b/c~0d/0",
            "//x",
            "/a~1b/c~0d/01",
            "/a~1b/c~0d/+1",
            "/missing",
            "/a~1b/c~0d/7",
        ] {
            let mut copy = expected.clone();
            assert_eq!(
                node_mut(&mut doc, pointer).cloned(),
                copy.pointer_mut(pointer).cloned(),
                "{pointer}"
            );
        }
        assert!(node_mut(&mut doc, "no-slash").is_none());
    }
}
