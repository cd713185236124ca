//! References that OpenAPI 3.0 does not allow where large multi-file documents put them, resolved
//! in place as bundlers (Redocly, swagger-parser) resolve them, before anything else reads the
//! document: an operation that is a `$ref` (`get: {$ref: ./ops/get-pet.yaml}`), a path item in
//! another file whose operations are such references, and a `description` that is a `$ref` to a
//! text file (`description: {$ref: ./docs/pets.md}`). Each is a note at the reference.
//!
//! The content copied in remembers its file ([`Origins`]), so references inside it resolve
//! relative to where it was written, and diagnostics point there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::load::diagnostics::{
    Code, Diagnostic, Diagnostics, escape_pointer_segment, pointer_join,
};
use crate::load::openapi::refs::{Origins, is_network, resolve_relative, split_ref};
use crate::load::source::SourceFile;

/// Maps that multi-file documents keep whole in a file of their own.
const WHOLE_MAPS: &[&str] = &[
    "/paths",
    "/components",
    "/components/schemas",
    "/components/responses",
    "/components/parameters",
    "/components/examples",
    "/components/requestBodies",
    "/components/headers",
    "/components/securitySchemes",
    "/components/links",
    "/components/callbacks",
    "/components/pathItems",
];

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Resolves the references of the module docs in `doc`, recording where copied content came from.
pub fn foreign_refs(
    main: &Arc<SourceFile>,
    doc: &mut Value,
    origins: &mut Origins,
    diags: &mut Diagnostics,
) {
    let mut run = Inliner {
        main,
        origins,
        diags,
        files: HashMap::new(),
    };
    run.text(doc, "/info/description");
    let tags = doc
        .get("tags")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    for index in 0..tags {
        run.text(doc, &format!("/tags/{index}/description"));
    }
    // `paths`, `components` or one of its sections kept whole in another file.
    for pointer in WHOLE_MAPS {
        if run.external_ref(doc, pointer) {
            run.replace(doc, pointer, "map");
        }
    }
    let paths: Vec<String> = doc
        .get("paths")
        .and_then(Value::as_object)
        .map(|it| it.keys().cloned().collect())
        .unwrap_or_default();
    for path in paths {
        let item = format!("/paths/{}", escape_pointer_segment(&path));
        // A path item in another file: copied in, so that its operations can be read here.
        if run.external_ref(doc, &item) {
            run.replace(doc, &item, "path item");
        }
        for field in ["description", "summary"] {
            run.text(doc, &pointer_join(&item, field));
        }
        for method in METHODS {
            let operation = pointer_join(&item, method);
            if doc
                .pointer(&operation)
                .is_some_and(|it| it.get("$ref").is_some())
            {
                run.replace(doc, &operation, "operation");
            }
            for field in ["description", "summary"] {
                run.text(doc, &pointer_join(&operation, field));
            }
        }
    }
}

struct Inliner<'a> {
    main: &'a Arc<SourceFile>,
    origins: &'a mut Origins,
    diags: &'a mut Diagnostics,
    /// Files read so far (`None`: unreadable, already reported).
    files: HashMap<PathBuf, Option<Arc<SourceFile>>>,
}

impl Inliner<'_> {
    fn reference<'d>(&self, doc: &'d Value, pointer: &str) -> Option<&'d str> {
        doc.pointer(pointer)?.get("$ref")?.as_str()
    }

    /// Whether the node at `pointer` is a `$ref` into another file.
    fn external_ref(&self, doc: &Value, pointer: &str) -> bool {
        self.reference(doc, pointer)
            .is_some_and(|it| !it.starts_with('#') && !is_network(it))
    }

    fn file(&mut self, path: &Path) -> Option<Arc<SourceFile>> {
        if let Some(known) = self.files.get(path) {
            return known.clone();
        }
        let read = SourceFile::read(path).ok();
        self.files.insert(path.to_path_buf(), read.clone());
        read
    }

    /// The target of the reference at `pointer`: its file, its pointer there, and the file
    /// itself (for text references).
    fn target(&mut self, doc: &Value, pointer: &str) -> Option<(Arc<SourceFile>, String)> {
        let reference = self.reference(doc, pointer)?.to_owned();
        let at = pointer_join(pointer, "$ref");
        if is_network(&reference) {
            let message = format!(
                "`{reference}` is a network reference; capgen never fetches remote documents"
            );
            self.report(Diagnostic::error(Code::NetworkRef, message), &at);
            return None;
        }
        let (base, _) = self.origins.resolve(self.main, pointer);
        let (file_part, fragment) = split_ref(&reference);
        let file = if file_part.is_empty() {
            base
        } else {
            let path = resolve_relative(base.path(), file_part);
            let Some(file) = self.file(&path) else {
                let message = format!("`{reference}`: cannot read `{}`", path.display());
                self.report(Diagnostic::error(Code::UnresolvedRef, message), &at);
                return None;
            };
            file
        };
        Some((file, fragment))
    }

    /// Replaces the `$ref` object at `pointer` by what it points at (its other members win).
    fn replace(&mut self, doc: &mut Value, pointer: &str, what: &str) {
        let Some((file, fragment)) = self.target(doc, pointer) else {
            return set_empty(doc, pointer);
        };
        let at = pointer_join(pointer, "$ref");
        let parsed = if Arc::ptr_eq(&file, self.main) {
            doc.pointer(&fragment).cloned()
        } else {
            match file.parse() {
                Ok(value) => value.pointer(&fragment).cloned(),
                Err(diagnostic) => {
                    self.diags.push(diagnostic);
                    return set_empty(doc, pointer);
                }
            }
        };
        let Some(Value::Object(mut target)) = parsed else {
            let message = format!(
                "the {what} `$ref` points at nothing usable (`{}#{fragment}`)",
                file.display_path()
            );
            self.report(Diagnostic::error(Code::UnresolvedRef, message), &at);
            return set_empty(doc, pointer);
        };
        if let Some(Value::Object(own)) = doc.pointer(pointer) {
            for (key, value) in own {
                if key != "$ref" {
                    target.insert(key.clone(), value.clone());
                }
            }
        }
        if what == "operation" || what == "map" {
            let message = format!(
                "{} that is a `$ref` is not allowed by OpenAPI; resolved as bundlers (Redocly, \
                 swagger-parser) resolve it",
                if what == "map" {
                    "a map"
                } else {
                    "an operation"
                }
            );
            self.report(Diagnostic::note(Code::ForeignRef, message), &at);
        }
        if !Arc::ptr_eq(&file, self.main) {
            self.origins.record(pointer.to_owned(), file, fragment);
        }
        if let Some(node) = doc.pointer_mut(pointer) {
            *node = Value::Object(target);
        }
    }

    /// A `description` (or `summary`) that is a `$ref`: the referenced text (a whole file that
    /// is not JSON or YAML, such as Markdown, or a string inside one).
    fn text(&mut self, doc: &mut Value, pointer: &str) {
        if self.reference(doc, pointer).is_none() {
            return;
        }
        let Some((file, fragment)) = self.target(doc, pointer) else {
            return set_text(doc, pointer, String::new());
        };
        let at = pointer_join(pointer, "$ref");
        let is_data = matches!(
            file.path().extension().and_then(|it| it.to_str()),
            Some("json" | "yaml" | "yml")
        );
        let text = if !is_data && fragment.is_empty() {
            Some(file.text().to_owned())
        } else {
            file.parse()
                .ok()
                .and_then(|it| it.pointer(&fragment)?.as_str().map(str::to_owned))
        };
        let Some(text) = text else {
            let message = format!(
                "this text `$ref` points at no string (`{}#{fragment}`)",
                file.display_path()
            );
            self.report(Diagnostic::warning(Code::UnresolvedRef, message), &at);
            return set_text(doc, pointer, String::new());
        };
        let message = "a text that is a `$ref` is not allowed by OpenAPI; the referenced text is \
                       used, as bundlers do";
        self.report(Diagnostic::note(Code::ForeignRef, message), &at);
        set_text(doc, pointer, text);
    }

    fn report(&mut self, diagnostic: Diagnostic, pointer: &str) {
        let located = self.origins.at(self.main, diagnostic, pointer);
        self.diags.push(located);
    }
}

fn set_empty(doc: &mut Value, pointer: &str) {
    if let Some(node) = doc.pointer_mut(pointer) {
        *node = Value::Object(Default::default());
    }
}

fn set_text(doc: &mut Value, pointer: &str, text: String) {
    if let Some(node) = doc.pointer_mut(pointer) {
        *node = Value::String(text);
    }
}
