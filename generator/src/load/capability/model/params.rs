//! Parameters and expressions shared by consumed and exposed objects: input parameters, output
//! parameters (one recursive type for every form), `with` values, orchestration steps, request
//! bodies and the small closed vocabularies (`in`, `type`, `method`, …).

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::tagged::{buffer_object, nested, tag};

/// A declared data type (`type` of parameters and output parameters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "string",
            ParamType::Number => "number",
            ParamType::Integer => "integer",
            ParamType::Boolean => "boolean",
            ParamType::Array => "array",
            ParamType::Object => "object",
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a parameter travels (`in`). `environment` exists only on consumed parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamLocation {
    Query,
    Header,
    Path,
    Cookie,
    Body,
    Environment,
}

impl ParamLocation {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamLocation::Query => "query",
            ParamLocation::Header => "header",
            ParamLocation::Path => "path",
            ParamLocation::Cookie => "cookie",
            ParamLocation::Body => "body",
            ParamLocation::Environment => "environment",
        }
    }
}

/// An HTTP method as Naftiko spells it (upper case).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    #[default]
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

/// An input parameter of a consumed adapter, resource or operation.
///
/// The official schema allows only `name`, `in` and `value`. The seed dialect adds `type`,
/// `required` and `description` (diagnostic C101); capgen keeps them as the declared type,
/// requiredness and documentation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumedInputParameter {
    pub name: String,
    #[serde(rename = "in")]
    pub location: ParamLocation,
    /// A static value or Mustache template; when absent the value comes from the caller.
    pub value: Option<String>,
    /// Seed dialect.
    #[serde(rename = "type")]
    pub ty: Option<ParamType>,
    /// Seed dialect.
    pub required: Option<bool>,
    /// Seed dialect.
    pub description: Option<String>,
}

/// An input parameter of an exposed REST resource or operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposedInputParameter {
    pub name: String,
    #[serde(rename = "in")]
    pub location: ParamLocation,
    /// Required by the schema.
    #[serde(rename = "type")]
    pub ty: Option<ParamType>,
    /// Required by the schema.
    pub description: Option<String>,
    /// A regular expression the value must match.
    pub pattern: Option<String>,
    /// A JSONPath into the request body (`in: body`) or a static value.
    pub value: Option<String>,
}

/// An input parameter of an MCP tool or aggregate function (it becomes the tool's input schema).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpToolInputParameter {
    pub name: String,
    /// Required by the schema.
    #[serde(rename = "type")]
    pub ty: Option<ParamType>,
    /// Required by the schema.
    pub description: Option<String>,
    /// Defaults to `true`.
    #[serde(default = "default_true")]
    pub required: bool,
}

fn default_true() -> bool {
    true
}

/// An output parameter, in any of its forms: consumed (`name`, `type`, `value`), mapped
/// (`type`, `mapping`, `properties`, `items`, `const`), orchestrated (`name`, `type`,
/// `properties`, `items` as a list) or mock (`name`, `type`, `value`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputParameter {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub ty: ParamType,
    /// A JSONPath into the upstream response (`$.id`, `$.results[*].name`; `$` or `$.` is the
    /// whole payload).
    pub mapping: Option<String>,
    /// Consumed outputs: a JSONPath. Mapped and mock outputs: a static or Mustache value.
    pub value: Option<String>,
    /// A schema-only constant.
    #[serde(rename = "const")]
    pub constant: Option<Value>,
    /// `type: object` members, in declaration order (pointer `…/properties/<name>`). `None` when
    /// the field is absent, which is not the same as `properties: {}`.
    pub properties: Option<IndexMap<String, OutputParameter>>,
    /// `type: array` element description.
    pub items: Option<OutputItems>,
}

/// The `items` of an array output parameter: one parameter (mapped form) or a list
/// (orchestrated form, pointer `…/items/<i>`).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum OutputItems {
    One(Box<OutputParameter>),
    Many(Vec<OutputParameter>),
}

impl<'de> Deserialize<'de> for OutputItems {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemsVisitor;
        impl<'de> Visitor<'de> for ItemsVisitor {
            type Value = OutputItems;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping or a list of mappings")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<OutputItems, A::Error> {
                let one = OutputParameter::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(OutputItems::One(Box::new(one)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<OutputItems, A::Error> {
                let many = Vec::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
                Ok(OutputItems::Many(many))
            }
        }
        deserializer.deserialize_any(ItemsVisitor)
    }
}

/// A value of a `with` injector: a string (an input reference `namespace.name`, a Mustache
/// template or a literal) or a number.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum WithValue {
    String(String),
    Number(serde_json::Number),
}

impl WithValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            WithValue::String(it) => Some(it),
            WithValue::Number(_) => None,
        }
    }
}

impl<'de> Deserialize<'de> for WithValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct WithVisitor;
        impl Visitor<'_> for WithVisitor {
            type Value = WithValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<WithValue, E> {
                Ok(WithValue::String(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<WithValue, E> {
                Ok(WithValue::String(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<WithValue, E> {
                Ok(WithValue::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<WithValue, E> {
                Ok(WithValue::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<WithValue, E> {
                serde_json::Number::from_f64(v)
                    .map(WithValue::Number)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Float(v), &self))
            }
        }
        deserializer.deserialize_any(WithVisitor)
    }
}

/// A step of an orchestrated operation or tool (`steps`).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OperationStep {
    Call(CallStep),
    Lookup(LookupStep),
    Script(ScriptStep),
}

impl<'de> Deserialize<'de> for OperationStep {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = buffer_object(deserializer)?;
        match tag(&value, "type", &["call", "lookup", "script"])? {
            "call" => nested(&value).map(OperationStep::Call),
            "lookup" => nested(&value).map(OperationStep::Lookup),
            _ => nested(&value).map(OperationStep::Script),
        }
    }
}

impl OperationStep {
    pub fn name(&self) -> &str {
        match self {
            OperationStep::Call(it) => &it.name,
            OperationStep::Lookup(it) => &it.name,
            OperationStep::Script(it) => &it.name,
        }
    }
}

/// `type: call`: calls a consumed operation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallStep {
    pub name: String,
    pub call: String,
    #[serde(default)]
    pub with: IndexMap<String, WithValue>,
}

/// `type: lookup`: finds an entry of an earlier step's output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LookupStep {
    pub name: String,
    pub index: Option<String>,
    #[serde(rename = "match")]
    pub match_field: Option<String>,
    pub lookup_value: Option<String>,
    #[serde(default)]
    pub output_parameters: Vec<String>,
}

/// `type: script`: runs a script file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptStep {
    pub name: String,
    pub language: Option<String>,
    pub location: Option<String>,
    pub file: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub with: IndexMap<String, WithValue>,
}

/// A `mappings` entry: copies a step output (`value`, `$.step-name.field`) to an output.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepMapping {
    pub target_name: String,
    pub value: String,
}

/// The request body of a consumed operation: a raw (Mustache) string or `{type, data}`.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum RequestBody {
    Raw(String),
    Typed(TypedBody),
}

impl<'de> Deserialize<'de> for RequestBody {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = RequestBody;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a mapping with `type` and `data`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RequestBody, E> {
                Ok(RequestBody::Raw(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<RequestBody, E> {
                Ok(RequestBody::Raw(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RequestBody, A::Error> {
                TypedBody::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RequestBody::Typed)
            }
        }
        deserializer.deserialize_any(BodyVisitor)
    }
}

/// A structured request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TypedBody {
    #[serde(rename = "type")]
    pub ty: BodyType,
    /// A string, mapping or list depending on `type`, kept as written.
    pub data: Value,
}

/// The `type` of a structured request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BodyType {
    Json,
    Text,
    Xml,
    Sparql,
    FormUrlEncoded,
    MultipartForm,
}

/// `outputRawFormat` of a consumed operation (default json).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RawFormat {
    #[default]
    Json,
    Xml,
    Avro,
    Protobuf,
    Csv,
    Tsv,
    Psv,
    Yaml,
    Html,
    Markdown,
    /// A value the schema does not define (`text` in generated capabilities): warned about
    /// (C110), and the response passes through as the upstream sent it.
    #[serde(other)]
    Unrecognized,
}
