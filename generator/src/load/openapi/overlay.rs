//! OpenAPI Overlay Specification 1.0: fixing a spec without editing it.
//!
//! An overlay is a list of `actions`, each with a JSONPath (RFC 9535) `target`, and either
//! `update` (merged into every selected node) or `remove: true` (every selected node is removed
//! from its parent). Actions apply in order, to the raw document, before anything else reads it.
//!
//! Merge rules: an object target is merged recursively with an object `update` (members of the
//! update replace or add members of the target; nested objects merge, everything else is
//! replaced); an array target gets the update appended (each element, if the update is an array).

use std::sync::Arc;

use serde_json::Value;
use serde_json_path::JsonPath;

use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// Applies the overlay in `file` to `doc`. Returns false when the overlay is malformed.
pub fn apply(file: &Arc<SourceFile>, doc: &mut Value, diags: &mut Diagnostics) -> bool {
    let overlay = match file.parse() {
        Ok(it) => it,
        Err(diagnostic) => {
            diags.push(diagnostic);
            return false;
        }
    };
    let version = overlay.get("overlay").and_then(Value::as_str);
    if !version.is_some_and(|it| it.starts_with("1.")) {
        diags.push(
            Diagnostic::error(
                Code::OverlayShape,
                "not an Overlay 1.x document: `overlay: 1.0.0` is missing",
            )
            .at(file, "/overlay"),
        );
        return false;
    }
    let Some(actions) = overlay.get("actions").and_then(Value::as_array) else {
        diags.push(
            Diagnostic::error(Code::OverlayShape, "an overlay needs a list of `actions`")
                .at(file, "/actions"),
        );
        return false;
    };
    let mut ok = true;
    for (idx, action) in actions.iter().enumerate() {
        let pointer = format!("/actions/{idx}");
        ok &= apply_action(file, &pointer, action, doc, diags);
    }
    ok
}

fn apply_action(
    file: &Arc<SourceFile>,
    pointer: &str,
    action: &Value,
    doc: &mut Value,
    diags: &mut Diagnostics,
) -> bool {
    let Some(target) = action.get("target").and_then(Value::as_str) else {
        diags.push(
            Diagnostic::error(Code::OverlayShape, "an action needs a `target` JSONPath")
                .at(file, pointer.to_owned()),
        );
        return false;
    };
    let target_pointer = pointer_join(pointer, "target");
    let path = match JsonPath::parse(target) {
        Ok(path) => path,
        Err(err) => {
            diags.push(
                Diagnostic::error(
                    Code::OverlayBadTarget,
                    format!("invalid JSONPath `{target}`: {err}"),
                )
                .at(file, target_pointer),
            );
            return false;
        }
    };
    let remove = action
        .get("remove")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let update = action.get("update");
    if !remove && update.is_none() {
        diags.push(
            Diagnostic::error(
                Code::OverlayShape,
                "an action needs `update` or `remove: true`",
            )
            .at(file, pointer.to_owned()),
        );
        return false;
    }
    let mut selected: Vec<String> = path
        .query_located(doc)
        .locations()
        .map(|it| it.to_json_pointer())
        .collect();
    if selected.is_empty() {
        diags.push(
            Diagnostic::warning(
                Code::OverlayNoMatch,
                format!("`{target}` selects nothing; action skipped"),
            )
            .at(file, target_pointer),
        );
        return true;
    }
    if remove {
        // Remove from the end so array indices of earlier selections stay valid.
        selected.sort();
        selected.reverse();
        for it in &selected {
            remove_at(doc, it);
        }
        return true;
    }
    let Some(update) = update else { return true };
    for it in &selected {
        if let Some(node) = doc.pointer_mut(it) {
            merge(node, update);
        }
    }
    true
}

fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            for (key, value) in update {
                match target.get_mut(key) {
                    Some(existing) if existing.is_object() && value.is_object() => {
                        merge(existing, value)
                    }
                    _ => {
                        target.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (Value::Array(target), Value::Array(update)) => target.extend(update.iter().cloned()),
        (Value::Array(target), update) => target.push(update.clone()),
        (target, update) => *target = update.clone(),
    }
}

fn remove_at(doc: &mut Value, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let key = last.replace("~1", "/").replace("~0", "~");
    match doc.pointer_mut(parent) {
        Some(Value::Object(object)) => {
            object.shift_remove(&key);
        }
        Some(Value::Array(items)) => {
            if let Ok(idx) = key.parse::<usize>()
                && idx < items.len()
            {
                items.remove(idx);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn run(overlay: &str, mut doc: Value) -> (Value, Diagnostics) {
        let file = SourceFile::from_text(Path::new("o.yaml"), overlay.to_owned());
        let mut diags = Diagnostics::new();
        apply(&file, &mut doc, &mut diags);
        (doc, diags)
    }

    #[test]
    fn update_appends_to_array_target() {
        let overlay = "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions:\n  - target: $.s.enum\n    update: C\n";
        let (doc, diags) = run(overlay, json!({"s": {"enum": ["A", "B"]}}));
        assert!(diags.is_empty());
        assert_eq!(doc, json!({"s": {"enum": ["A", "B", "C"]}}));
    }

    #[test]
    fn update_merges_objects_recursively() {
        let overlay = "overlay: 1.0.0\nactions:\n  - target: $.r\n    update: {a: {y: 2}, b: 3}\n";
        let (doc, _) = run(overlay, json!({"r": {"a": {"x": 1}}}));
        assert_eq!(doc, json!({"r": {"a": {"x": 1, "y": 2}, "b": 3}}));
    }

    #[test]
    fn remove_deletes_every_selected_node() {
        let overlay = "overlay: 1.0.0\nactions:\n  - target: $.l[?@.drop]\n    remove: true\n";
        let (doc, _) = run(
            overlay,
            json!({"l": [{"drop": true}, {"k": 1}, {"drop": true}]}),
        );
        assert_eq!(doc, json!({"l": [{"k": 1}]}));
    }

    #[test]
    fn unmatched_target_is_a_located_warning() {
        let overlay = "overlay: 1.0.0\nactions:\n  - target: $.nope\n    update: {}\n";
        let (_, diags) = run(overlay, json!({}));
        let diagnostic = diags.iter().next().expect("one warning");
        assert_eq!(diagnostic.code, Code::OverlayNoMatch);
        assert_eq!(diagnostic.position().map(|it| it.1.line), Some(3));
    }

    #[test]
    fn bad_jsonpath_is_an_error() {
        let overlay = "overlay: 1.0.0\nactions:\n  - target: $$[\n    update: {}\n";
        let (_, diags) = run(overlay, json!({}));
        assert!(diags.iter().any(|it| it.code == Code::OverlayBadTarget));
    }
}
