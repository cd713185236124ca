//! The typed model of a Naftiko capability document (`naftiko: 1.0.0-alpha1` and
//! `1.0.0-alpha2`), covering both the official schema and capgen's "seed dialect".
//!
//! The model is plain data: every type is `Debug + Clone + Deserialize + Serialize`, and every
//! field is public and spelled as in Rust, with the wire name in a `serde` attribute.
//!
//! # Pointer contract
//!
//! Lists keep their declaration order (`Vec`, `IndexMap`), and list index `i` of a model field is
//! item `i` of the same list in the document. Later stages therefore compute the JSON pointer of
//! any node from indices, e.g. tool 3 of adapter 1 is `/capability/exposes/1/tools/3`, and
//! diagnostics built with those pointers land on the right line of the source file. The helpers
//! on [`Capability`] ([`Capability::all_consumes`], [`Capability::exposes_pointer`], …) build
//! the prefixes; below them the pointer segments are the wire names (`resources`, `operations`,
//! `inputParameters`, `outputParameters`, `with`, `properties`, `items`, …).

mod auth;
mod consumes;
mod exposes;
mod params;
pub(crate) mod tagged;

pub(crate) use auth::is_auth_none;
pub use auth::{
    ApiKeyAuth, ApiKeyPlacement, Authentication, BasicAuth, BearerAuth, OAuth2Auth, TokenValidation,
};
pub use consumes::*;
pub use exposes::*;
pub use params::*;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::load::diagnostics::pointer_join;

/// The `naftiko` versions capgen reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum NaftikoVersion {
    #[serde(rename = "1.0.0-alpha1")]
    Alpha1,
    #[serde(rename = "1.0.0-alpha2")]
    Alpha2,
}

impl NaftikoVersion {
    /// Every supported version, oldest first.
    pub const ALL: &'static [NaftikoVersion] = &[NaftikoVersion::Alpha1, NaftikoVersion::Alpha2];

    /// The version as written in documents.
    pub fn as_str(self) -> &'static str {
        match self {
            NaftikoVersion::Alpha1 => "1.0.0-alpha1",
            NaftikoVersion::Alpha2 => "1.0.0-alpha2",
        }
    }

    pub fn parse(text: &str) -> Option<NaftikoVersion> {
        NaftikoVersion::ALL
            .iter()
            .copied()
            .find(|it| it.as_str() == text)
    }
}

/// One capability document (the root object).
///
/// A document either declares a `capability`, or is a "shared consumer" file with only a root
/// `consumes` list that other capabilities import.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capability {
    pub naftiko: NaftikoVersion,
    pub info: Option<Info>,
    /// File-wide variable bindings (pointer `/binds/<i>`).
    #[serde(default)]
    pub binds: Vec<Binding>,
    /// Root-level consumes of a shared consumer file (pointer `/consumes/<i>`).
    #[serde(default)]
    pub consumes: Vec<Consumes>,
    pub capability: Option<CapabilitySpec>,
}

/// The `capability` object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilitySpec {
    /// Capability-level binds (pointer `/capability/binds/<i>`). The alpha2 engine reads only the
    /// root `binds`; capgen resolves references against both.
    #[serde(default)]
    pub binds: Vec<Binding>,
    /// Pointer `/capability/exposes/<i>`.
    #[serde(default)]
    pub exposes: Vec<Exposes>,
    /// Pointer `/capability/consumes/<i>`.
    #[serde(default)]
    pub consumes: Vec<Consumes>,
    /// Pointer `/capability/aggregates/<i>` (alpha2).
    #[serde(default)]
    pub aggregates: Vec<Aggregate>,
}

impl Capability {
    /// The adapters of `capability.exposes`, in order (pointer: [`Capability::exposes_pointer`]).
    pub fn exposes(&self) -> &[Exposes] {
        self.capability
            .as_ref()
            .map(|it| it.exposes.as_slice())
            .unwrap_or_default()
    }

    /// Pointer of adapter `index` of [`Capability::exposes`].
    pub fn exposes_pointer(index: usize) -> String {
        format!("/capability/exposes/{index}")
    }

    /// Every consumes entry with its pointer: root-level ones (`/consumes/<i>`) first, then
    /// `capability.consumes` (`/capability/consumes/<i>`).
    pub fn all_consumes(&self) -> Vec<(String, &Consumes)> {
        let root = self
            .consumes
            .iter()
            .enumerate()
            .map(|(i, it)| (pointer_join("/consumes", i), it));
        let nested = self.capability.iter().flat_map(|cap| {
            cap.consumes
                .iter()
                .enumerate()
                .map(|(i, it)| (pointer_join("/capability/consumes", i), it))
        });
        root.chain(nested).collect()
    }

    /// Every `binds` entry with its pointer: root ones (`/binds/<i>`), then capability-level
    /// ones (`/capability/binds/<i>`).
    pub fn all_binds(&self) -> Vec<(String, &Binding)> {
        let root = self
            .binds
            .iter()
            .enumerate()
            .map(|(i, it)| (pointer_join("/binds", i), it));
        let nested = self.capability.iter().flat_map(|cap| {
            cap.binds
                .iter()
                .enumerate()
                .map(|(i, it)| (pointer_join("/capability/binds", i), it))
        });
        root.chain(nested).collect()
    }

    /// The aggregates of `capability.aggregates` (pointer `/capability/aggregates/<i>`).
    /// The `management.scripting` settings of the first control adapter that has them, with
    /// the pointer of that object.
    pub fn scripting(&self) -> Option<(String, ScriptingSettings)> {
        self.exposes()
            .iter()
            .enumerate()
            .find_map(|(index, adapter)| {
                let Exposes::Control(control) = adapter else {
                    return None;
                };
                let value = control.get("management")?.get("scripting")?;
                let settings = serde_json::from_value(value.clone()).ok()?;
                let pointer = format!(
                    "{}/management/scripting",
                    Capability::exposes_pointer(index)
                );
                Some((pointer, settings))
            })
    }

    pub fn aggregates(&self) -> &[Aggregate] {
        self.capability
            .as_ref()
            .map(|it| it.aggregates.as_slice())
            .unwrap_or_default()
    }

    /// Whether this is a shared consumer file (root `consumes`, no `capability`).
    pub fn is_shared_consumer(&self) -> bool {
        self.capability.is_none()
    }
}

/// The `info` object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    pub label: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `YYYY-MM-DD`.
    pub created: Option<String>,
    /// `YYYY-MM-DD`.
    pub modified: Option<String>,
    #[serde(default)]
    pub stakeholders: Vec<Person>,
}

/// A stakeholder in `info.stakeholders`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    pub role: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
}

/// A `binds` entry: variables (`keys`) whose values come from a provider.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Binding {
    /// Kebab-case namespace; used by qualified references `{{namespace.VARIABLE}}`.
    pub namespace: String,
    pub description: Option<String>,
    /// Where values come from (`file:///…`). Without it, values come from the environment
    /// variable named by the provider key.
    pub location: Option<String>,
    /// Variable name (`SCREAMING_SNAKE_CASE`) → provider key, in declaration order.
    #[serde(default)]
    pub keys: IndexMap<String, String>,
}

/// An aggregate: reusable functions that tools and operations reference with `ref`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Aggregate {
    pub label: Option<String>,
    pub namespace: String,
    #[serde(default)]
    pub functions: Vec<AggregateFunction>,
}

/// A function of an [`Aggregate`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AggregateFunction {
    pub name: String,
    pub description: Option<String>,
    pub semantics: Option<Semantics>,
    #[serde(default)]
    pub input_parameters: Vec<McpToolInputParameter>,
    pub call: Option<String>,
    #[serde(default)]
    pub with: IndexMap<String, WithValue>,
    #[serde(default)]
    pub steps: Vec<OperationStep>,
    #[serde(default)]
    pub mappings: Vec<StepMapping>,
    #[serde(default)]
    pub output_parameters: Vec<OutputParameter>,
}

/// Behavioural semantics of an aggregate function; absent fields stay `None`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Semantics {
    pub safe: Option<bool>,
    pub idempotent: Option<bool>,
    pub cacheable: Option<bool>,
}
