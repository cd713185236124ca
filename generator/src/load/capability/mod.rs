//! Naftiko capability documents (`naftiko: 1.0.0-alpha1` and `1.0.0-alpha2`).
//!
//! [`load_capability`] reads one document into the typed [`model`] and checks what can be
//! checked without the OpenAPI document:
//!
//! ```text
//! parse (S002/S003) -> root + version (S004, C001) -> [--strict: JSON Schema, C004]
//!   -> unknown fields (C003) -> typed model (C002)
//!   -> seed dialect (C101–C110) -> unsupported constructs (C201–C203)
//!   -> binds and bind references (C204, C105) -> aggregate refs (C205)
//! ```
//!
//! Two dialects are accepted: the official schema, and the "seed dialect" of the seed
//! capabilities (see `/work/shared/notes/naftiko-capability.md` §4.2). Each seed-dialect
//! construct is a warning saying what capgen inferred; `--strict` makes them errors. How capgen
//! reads the expression forms of both dialects lives in [`interpret`], for later stages to reuse.
//!
//! `call` targets, `with` keys and name clashes are checked by the join, not here.

mod binds;
mod dialect;
mod fields;
pub mod imports;
pub mod interpret;
pub mod model;
mod refs;
mod shape;
pub mod skill_files;
mod strict;
mod unsupported;

#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::sync::Arc;

pub use dialect::DIALECT_CODES;
pub use model::*;

use crate::load::diagnostics::{Code, Diagnostics};
use crate::load::source::SourceFile;

/// How to load a capability.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Validate against the official JSON Schema, and make seed-dialect deviations (C101–C110)
    /// and unknown fields (C003) errors.
    pub strict: bool,
}

/// The codes `--strict` turns from warnings into errors.
pub const STRICT_CODES: &[Code] = &[
    Code::UnknownField,
    Code::ConsumedParamExtras,
    Code::SingleBraceTemplate,
    Code::ForeignWithPrefix,
    Code::WholeBodyMapping,
    Code::QualifiedBindRef,
    Code::RestDescription,
    Code::BaseUriVariable,
    Code::ConsumedOutputPassthrough,
    Code::AuthNone,
    Code::UnknownRawFormat,
];

/// Parses and checks one capability document. Returns None only when the document cannot be
/// understood at all (syntax error, wrong version, wrong shape); problems go to `diags`.
pub fn load_capability(
    file: &Arc<SourceFile>,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Capability> {
    let raw = match file.parse() {
        Ok(raw) => raw,
        Err(diagnostic) => {
            diags.push(diagnostic);
            return None;
        }
    };
    load_capability_value(file, raw, options, diags)
}

/// [`load_capability`] of a document already parsed (and possibly changed by overlays) from
/// `file`; diagnostics still point into `file`.
pub fn load_capability_value(
    file: &Arc<SourceFile>,
    raw: serde_json::Value,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Capability> {
    let mut local = Diagnostics::new();
    let capability = load(file, raw, options, &mut local);
    if options.strict {
        local.escalate(STRICT_CODES);
    }
    diags.extend(local);
    capability
}

fn load(
    file: &Arc<SourceFile>,
    raw: serde_json::Value,
    options: &LoadOptions,
    diags: &mut Diagnostics,
) -> Option<Capability> {
    let version = shape::check_root(file, &raw, diags)?;
    let mut checks = Diagnostics::new();
    fields::check(file, &raw, version, &mut checks);
    let capability = shape::deserialize(file, &raw, &mut checks);
    if let Some(capability) = &capability {
        dialect::check(file, &raw, capability, &mut checks);
        unsupported::check(file, capability, &mut checks);
        binds::check(file, capability, &mut checks);
        refs::check(file, capability, &mut checks);
    }
    if options.strict {
        // Nodes another diagnostic already reports need no schema error of their own.
        let covered: HashSet<String> = checks
            .iter()
            .filter(|it| STRICT_CODES.contains(&it.code))
            .filter_map(|it| it.pointer().map(str::to_owned))
            .collect();
        strict::validate(file, &raw, version, &covered, diags);
    }
    diags.extend(checks);
    capability
}
