//! `--strict`: validation against the official JSON Schema of the document's version (C004).
//!
//! The schemas are embedded and compiled once, offline (they have no remote `$ref`s). Failures
//! under `oneOf`/`anyOf` are reduced to the alternative that fits best (the one whose `type`
//! discriminator matches, with the fewest errors), so a wrong field yields one error at that
//! field rather than one per alternative. Duplicates are dropped and the count is capped.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use super::model::NaftikoVersion;
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

const SCHEMA_ALPHA1: &str = include_str!("../../../schemas/naftiko-schema-1.0.0-alpha1.json");
const SCHEMA_ALPHA2: &str = include_str!("../../../schemas/naftiko-schema-1.0.0-alpha2.json");

/// At most this many schema errors are reported per document.
const MAX_ERRORS: usize = 50;

type Compiled = Result<Validator, String>;

fn validator(version: NaftikoVersion) -> &'static Compiled {
    static ALPHA1: OnceLock<Compiled> = OnceLock::new();
    static ALPHA2: OnceLock<Compiled> = OnceLock::new();
    let (cell, text) = match version {
        NaftikoVersion::Alpha1 => (&ALPHA1, SCHEMA_ALPHA1),
        NaftikoVersion::Alpha2 => (&ALPHA2, SCHEMA_ALPHA2),
    };
    cell.get_or_init(|| compile(text))
}

fn compile(text: &str) -> Compiled {
    let schema: Value = serde_json::from_str(text).map_err(|err| err.to_string())?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|err| err.to_string())
}

/// Validates `raw` against the official schema of `version`; each violation is a C004 error.
/// Violations at a pointer in `covered` are left out: another diagnostic (a seed-dialect
/// deviation, an unknown field) already reports that node.
pub fn validate(
    file: &Arc<SourceFile>,
    raw: &Value,
    version: NaftikoVersion,
    covered: &HashSet<String>,
    diags: &mut Diagnostics,
) {
    let validator = match validator(version) {
        Ok(it) => it,
        Err(message) => {
            diags.push(Diagnostic::error(
                Code::SchemaViolation,
                format!(
                    "internal error: the official {} schema does not compile: {message}",
                    version.as_str()
                ),
            ));
            return;
        }
    };
    let mut violations = Vec::new();
    for error in validator.iter_errors(raw) {
        collect(&error, &mut violations);
    }
    let mut seen = HashSet::new();
    violations.retain(|it| {
        !covered.contains(&it.pointer) && seen.insert((it.pointer.clone(), it.message.clone()))
    });
    let total = violations.len();
    for violation in violations.into_iter().take(MAX_ERRORS) {
        let origin = match &violation.definition {
            Some(name) => format!("{name}, official {} schema", version.as_str()),
            None => format!("official {} schema", version.as_str()),
        };
        let message = format!("{} ({origin})", violation.message);
        let diagnostic = Diagnostic::error(Code::SchemaViolation, message);
        diags.push(if violation.key {
            diagnostic.at_key(file, violation.pointer)
        } else {
            diagnostic.at(file, violation.pointer)
        });
    }
    if total > MAX_ERRORS {
        diags.push(
            Diagnostic::note(
                Code::SchemaViolation,
                format!("{} more schema violations not shown", total - MAX_ERRORS),
            )
            .at(file, ""),
        );
    }
}

/// One reported violation.
struct Violation {
    pointer: String,
    /// Point at the key of the member at `pointer` (an unexpected property).
    key: bool,
    message: String,
    /// The schema definition the failing keyword belongs to (`ConsumedInputParameter`).
    definition: Option<String>,
}

/// Flattens `error` into violations, descending into the best alternative of `oneOf`/`anyOf`.
fn collect(error: &ValidationError<'_>, out: &mut Vec<Violation>) {
    let pointer = error.instance_path().as_str().to_owned();
    let (pointer, key, message) = match error.kind() {
        ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } => {
            match best_alternative(&pointer, context) {
                Some(branch) => {
                    branch.iter().for_each(|it| collect(it, out));
                    return;
                }
                None => (
                    pointer,
                    false,
                    "matches none of the alternatives".to_owned(),
                ),
            }
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => (
            pointer,
            false,
            "matches more than one alternative of a `oneOf`".to_owned(),
        ),
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            for name in unexpected {
                out.push(Violation {
                    pointer: pointer_join(&pointer, name),
                    key: true,
                    message: format!("property `{name}` is not allowed here"),
                    definition: definition(error),
                });
            }
            return;
        }
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| property.to_string());
            (
                pointer,
                false,
                format!("missing required property `{name}`"),
            )
        }
        ValidationErrorKind::Pattern { pattern } => {
            let message = match error.instance().as_str() {
                Some(value) => format!("`{value}` does not match the pattern `{pattern}`"),
                None => format!("value does not match the pattern `{pattern}`"),
            };
            (pointer, false, message)
        }
        ValidationErrorKind::Constant { expected_value } => {
            (pointer, false, format!("must be {expected_value}"))
        }
        _ => (pointer, false, error.masked_with("value").to_string()),
    };
    out.push(Violation {
        pointer,
        key,
        message,
        definition: definition(error),
    });
}

/// The alternative of a failed `oneOf`/`anyOf` that fits best, if any.
fn best_alternative<'e>(
    pointer: &str,
    context: &'e [Vec<ValidationError<'static>>],
) -> Option<&'e Vec<ValidationError<'static>>> {
    context
        .iter()
        .filter(|branch| !branch.is_empty())
        .min_by_key(|branch| {
            // A branch whose discriminator (`type`, `transport`, …) disagrees is another variant.
            let mismatch = branch.iter().any(|it| {
                matches!(
                    it.kind(),
                    ValidationErrorKind::Constant { .. } | ValidationErrorKind::Enum { .. }
                ) && parent(it.instance_path().as_str()) == pointer
            });
            // Errors at the node itself (missing required members) say the branch is the wrong
            // mode; errors deeper down say it is the right mode with a wrong member.
            let shallow = branch
                .iter()
                .filter(|it| it.instance_path().as_str() == pointer)
                .count();
            (mismatch, shallow, branch.len())
        })
}

fn parent(pointer: &str) -> &str {
    pointer.rfind('/').map(|pos| &pointer[..pos]).unwrap_or("")
}

/// The schema definition the failing keyword belongs to (`ConsumedInputParameter`).
fn definition(error: &ValidationError<'_>) -> Option<String> {
    let path = error.schema_path().as_str();
    let mut name = None;
    let mut segments = path.split('/');
    while let Some(segment) = segments.next() {
        if segment == "$defs"
            && let Some(next) = segments.next()
        {
            name = Some(next);
        }
    }
    name.map(str::to_owned)
}
