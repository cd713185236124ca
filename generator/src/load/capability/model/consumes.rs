//! `consumes` entries: the upstream HTTP APIs a capability calls (`type: http`), or imports of
//! a shared consumer file.

use serde::{Deserialize, Deserializer, Serialize};

use super::tagged::{buffer_object, nested, tag};
use super::{
    Authentication, ConsumedInputParameter, HttpMethod, OutputParameter, RawFormat, RequestBody,
};

/// A `consumes` entry.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type")]
pub enum Consumes {
    #[serde(rename = "http")]
    Http(ConsumesHttp),
    /// `{location, import, as}`: an entry is read from another file (no `type`).
    #[serde(untagged)]
    Imported(ImportedConsumes),
}

impl<'de> Deserialize<'de> for Consumes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = buffer_object(deserializer)?;
        let is_import = value.get("type").is_none() && value.get("import").is_some();
        if is_import {
            return nested(&value).map(Consumes::Imported);
        }
        tag(&value, "type", &["http"])?;
        nested(&value).map(Consumes::Http)
    }
}

impl Consumes {
    /// The namespace calls use (`call: <namespace>.<operation>`): `namespace`, or for an import
    /// its alias (`as`) or the imported namespace.
    pub fn namespace(&self) -> &str {
        match self {
            Consumes::Http(it) => &it.namespace,
            Consumes::Imported(it) => it.alias.as_deref().unwrap_or(&it.import),
        }
    }

    pub fn as_http(&self) -> Option<&ConsumesHttp> {
        match self {
            Consumes::Http(it) => Some(it),
            Consumes::Imported(_) => None,
        }
    }
}

/// A consumed HTTP API (`type: http`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumesHttp {
    pub namespace: String,
    /// Official: `https://host[/path]`. Seed dialect: may contain `{var}` server variables (C107).
    pub base_uri: String,
    pub description: Option<String>,
    /// Adapter-level parameters sent with every operation (pointer `…/inputParameters/<i>`).
    #[serde(default)]
    pub input_parameters: Vec<ConsumedInputParameter>,
    #[serde(default, deserialize_with = "super::auth::optional_auth")]
    pub authentication: Option<Authentication>,
    /// Pointer `…/resources/<i>`.
    #[serde(default)]
    pub resources: Vec<ConsumedResource>,
}

impl ConsumesHttp {
    /// Every operation with its resource, as (resource index, operation index, resource,
    /// operation); pointer `…/resources/<r>/operations/<o>`.
    pub fn operations(
        &self,
    ) -> impl Iterator<Item = (usize, usize, &ConsumedResource, &ConsumedOperation)> {
        self.resources.iter().enumerate().flat_map(|(r, resource)| {
            resource
                .operations
                .iter()
                .enumerate()
                .map(move |(o, op)| (r, o, resource, op))
        })
    }
}

/// A reference to a consumes entry of another file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedConsumes {
    /// Path of the shared consumer file, relative to this one.
    pub location: String,
    /// The namespace imported from that file.
    pub import: String,
    /// The namespace it is known by here.
    #[serde(rename = "as")]
    pub alias: Option<String>,
    pub description: Option<String>,
}

/// A resource of a consumed API: a path and its operations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedResource {
    /// Required by the schema.
    pub name: Option<String>,
    /// Appended to `baseUri`. Official: `{{param}}` templates; seed dialect: `{param}` (C102).
    pub path: String,
    pub label: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub input_parameters: Vec<ConsumedInputParameter>,
    /// Pointer `…/operations/<i>`.
    #[serde(default)]
    pub operations: Vec<ConsumedOperation>,
}

/// An operation of a consumed resource; `call: <namespace>.<name>` selects it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedOperation {
    pub name: String,
    #[serde(default)]
    pub method: HttpMethod,
    pub label: Option<String>,
    pub description: Option<String>,
    /// Pointer `…/inputParameters/<i>`.
    #[serde(default)]
    pub input_parameters: Vec<ConsumedInputParameter>,
    /// Pointer `…/outputParameters/<i>`. Seed dialect: `{name, type: object, value: $.}` (C108).
    #[serde(default)]
    pub output_parameters: Vec<OutputParameter>,
    pub body: Option<RequestBody>,
    pub output_raw_format: Option<RawFormat>,
    /// A schema file (avro, protobuf), CSS selector (html) or heading prefix (markdown).
    pub output_schema: Option<String>,
}
