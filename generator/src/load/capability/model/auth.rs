//! `authentication` objects, a tagged enum on `type`. On `consumes` they describe the outbound
//! credentials; on `exposes` adapters the inbound check. String fields may hold Mustache
//! references to `binds` variables (`{{TOKEN}}`, seed dialect `{{env.TOKEN}}`).

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::tagged::{buffer_object, nested, tag};

/// An `authentication` object.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Authentication {
    Basic(BasicAuth),
    #[serde(rename = "apikey")]
    ApiKey(ApiKeyAuth),
    Bearer(BearerAuth),
    Digest(BasicAuth),
    #[serde(rename = "oauth2")]
    OAuth2(OAuth2Auth),
}

impl<'de> Deserialize<'de> for Authentication {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = buffer_object(deserializer)?;
        match tag(
            &value,
            "type",
            &["basic", "apikey", "bearer", "digest", "oauth2"],
        )? {
            "basic" => nested(&value).map(Authentication::Basic),
            "apikey" => nested(&value).map(Authentication::ApiKey),
            "bearer" => nested(&value).map(Authentication::Bearer),
            "digest" => nested(&value).map(Authentication::Digest),
            _ => nested(&value).map(Authentication::OAuth2),
        }
    }
}

impl Authentication {
    /// The `type` as written.
    pub fn type_name(&self) -> &'static str {
        match self {
            Authentication::Basic(_) => "basic",
            Authentication::ApiKey(_) => "apikey",
            Authentication::Bearer(_) => "bearer",
            Authentication::Digest(_) => "digest",
            Authentication::OAuth2(_) => "oauth2",
        }
    }

    /// The string fields that may carry secrets or references, as (wire name, value).
    pub fn secret_fields(&self) -> Vec<(&'static str, &str)> {
        let fields: Vec<(&'static str, &Option<String>)> = match self {
            Authentication::Basic(it) | Authentication::Digest(it) => {
                vec![("username", &it.username), ("password", &it.password)]
            }
            Authentication::ApiKey(it) => vec![("key", &it.key), ("value", &it.value)],
            Authentication::Bearer(it) => vec![("token", &it.token)],
            Authentication::OAuth2(_) => Vec::new(),
        };
        fields
            .into_iter()
            .filter_map(|(name, value)| value.as_deref().map(|value| (name, value)))
            .collect()
    }
}

/// Reads an optional `authentication` field. The seed dialect's `{type: none}` (C109) means
/// "no authentication" and reads as `None`.
pub(crate) fn optional_auth<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Authentication>, D::Error> {
    let Some(value) = Option::<Value>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if is_auth_none(&value) {
        return Ok(None);
    }
    nested(&value).map(Some)
}

/// Whether an `authentication` node is the seed dialect's `{type: none}`.
pub(crate) fn is_auth_none(value: &Value) -> bool {
    value.get("type").and_then(Value::as_str) == Some("none")
}

/// `basic` and `digest`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuth {
    pub username: Option<String>,
    pub password: Option<String>,
}

/// `apikey`: `key` names the header or query parameter, `value` is the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyAuth {
    pub key: Option<String>,
    pub value: Option<String>,
    /// The schema text says it defaults to `header`; the alpha2 engine requires it outbound.
    pub placement: Option<ApiKeyPlacement>,
}

/// Where an API key goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiKeyPlacement {
    Header,
    Query,
}

/// `bearer`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BearerAuth {
    pub token: Option<String>,
}

/// `oauth2` (inbound only: the adapter acts as a resource server).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OAuth2Auth {
    pub authorization_server_uri: String,
    pub resource: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    pub audience: Option<String>,
    pub token_endpoint: Option<String>,
    pub token_validation: Option<TokenValidation>,
}

/// How an `oauth2` adapter validates tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenValidation {
    Jwks,
    Introspection,
}
