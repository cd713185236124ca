//! `exposes` adapters: REST, MCP and skill servers (typed), control adapters (kept as written:
//! capgen reads only their `management.scripting`).

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::tagged::{buffer_object, nested, tag};
use super::{
    Authentication, ExposedInputParameter, HttpMethod, McpToolInputParameter, OperationStep,
    OutputParameter, StepMapping, WithValue,
};

/// An `exposes` adapter, chosen by `type`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Exposes {
    Rest(ExposesRest),
    Mcp(ExposesMcp),
    Skill(ExposesSkill),
    /// The adapter object without its `type`, as written.
    Control(Map<String, Value>),
}

impl<'de> Deserialize<'de> for Exposes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = buffer_object(deserializer)?;
        let kind = tag(&value, "type", &["rest", "mcp", "skill", "control"])?;
        let loose = || {
            let mut map = value.as_object().cloned().unwrap_or_default();
            map.shift_remove("type");
            map
        };
        match kind {
            "rest" => nested(&value).map(Exposes::Rest),
            "mcp" => nested(&value).map(Exposes::Mcp),
            "skill" => nested(&value).map(Exposes::Skill),
            _ => Ok(Exposes::Control(loose())),
        }
    }
}

impl Exposes {
    /// The `type` as written.
    pub fn type_name(&self) -> &'static str {
        match self {
            Exposes::Rest(_) => "rest",
            Exposes::Mcp(_) => "mcp",
            Exposes::Skill(_) => "skill",
            Exposes::Control(_) => "control",
        }
    }

    /// The adapter's namespace (control adapters have none).
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Exposes::Rest(it) => Some(&it.namespace),
            Exposes::Mcp(it) => Some(&it.namespace),
            Exposes::Skill(it) => Some(&it.namespace),
            Exposes::Control(it) => it.get("namespace")?.as_str(),
        }
    }
}

/// A REST server adapter (`type: rest`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposesRest {
    /// The prefix of `with` references to this adapter's inputs (`<namespace>.<input>`).
    pub namespace: String,
    pub port: u16,
    /// Hostname, IPv4 or IPv6 to bind (none: all interfaces).
    pub address: Option<String>,
    /// Seed dialect (C106): the official schema has no REST `description`.
    pub description: Option<String>,
    /// Inbound authentication.
    #[serde(default, deserialize_with = "super::auth::optional_auth")]
    pub authentication: Option<Authentication>,
    /// Pointer `…/resources/<i>`.
    #[serde(default)]
    pub resources: Vec<ExposedResource>,
}

/// A resource of a REST adapter: a path, its inputs and its operations (or a `forward`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposedResource {
    /// `{x}` and `{{x}}` templates both name path inputs.
    pub path: String,
    pub name: Option<String>,
    pub label: Option<String>,
    pub description: Option<String>,
    /// Inputs shared by the operations (pointer `…/inputParameters/<i>`).
    #[serde(default)]
    pub input_parameters: Vec<ExposedInputParameter>,
    /// Pointer `…/operations/<i>`.
    #[serde(default)]
    pub operations: Vec<ExposedOperation>,
    /// Proxies the path to another namespace (unsupported by capgen, C202).
    pub forward: Option<ForwardConfig>,
}

/// `forward` of an exposed resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ForwardConfig {
    pub target_namespace: String,
    #[serde(default)]
    pub trusted_headers: Vec<String>,
}

/// An operation of a REST resource.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposedOperation {
    pub method: HttpMethod,
    pub name: Option<String>,
    pub label: Option<String>,
    pub description: Option<String>,
    /// Pointer `…/inputParameters/<i>`.
    #[serde(default)]
    pub input_parameters: Vec<ExposedInputParameter>,
    /// `<consumes namespace>.<operation name>`.
    pub call: Option<String>,
    /// `<aggregate namespace>.<function name>` (unsupported by capgen, C202).
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Consumed parameter name → value, in declaration order (pointer `…/with/<name>`).
    #[serde(default)]
    pub with: IndexMap<String, WithValue>,
    /// Pointer `…/outputParameters/<i>`.
    #[serde(default)]
    pub output_parameters: Vec<OutputParameter>,
    #[serde(default)]
    pub steps: Vec<OperationStep>,
    #[serde(default)]
    pub mappings: Vec<StepMapping>,
}

/// An MCP server adapter (`type: mcp`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposesMcp {
    /// Also the MCP `serverInfo.name`, and the prefix of `with` references to tool arguments.
    pub namespace: String,
    /// Required with `transport: http`, forbidden with `stdio`.
    pub port: Option<u16>,
    pub address: Option<String>,
    /// Defaults to `http`.
    pub transport: Option<McpTransport>,
    /// Sent as `instructions` in `initialize`.
    pub description: Option<String>,
    #[serde(default, deserialize_with = "super::auth::optional_auth")]
    pub authentication: Option<Authentication>,
    /// Pointer `…/tools/<i>`.
    #[serde(default)]
    pub tools: Vec<McpTool>,
    /// Unsupported by capgen (C202).
    #[serde(default)]
    pub resources: Vec<McpResource>,
    /// Unsupported by capgen (C202).
    #[serde(default)]
    pub prompts: Vec<McpPrompt>,
}

/// The MCP transport.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum McpTransport {
    #[default]
    Http,
    Stdio,
}

/// An MCP tool.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpTool {
    /// The MCP tool name (absent only for `ref` tools, which take the function's name).
    pub name: Option<String>,
    /// Becomes the MCP `title`.
    pub label: Option<String>,
    pub description: Option<String>,
    /// The tool's input schema (pointer `…/inputParameters/<i>`).
    #[serde(default)]
    pub input_parameters: Vec<McpToolInputParameter>,
    pub call: Option<String>,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// Pointer `…/with/<name>`.
    #[serde(default)]
    pub with: IndexMap<String, WithValue>,
    pub hints: Option<McpToolHints>,
    /// Pointer `…/outputParameters/<i>`.
    #[serde(default)]
    pub output_parameters: Vec<OutputParameter>,
    #[serde(default)]
    pub steps: Vec<OperationStep>,
    #[serde(default)]
    pub mappings: Vec<StepMapping>,
}

/// MCP tool annotations. Absent hints stay `None`; the accessors apply the MCP defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpToolHints {
    pub read_only: Option<bool>,
    pub destructive: Option<bool>,
    pub idempotent: Option<bool>,
    pub open_world: Option<bool>,
}

impl McpToolHints {
    /// `readOnlyHint`, default false.
    pub fn read_only_or_default(&self) -> bool {
        self.read_only.unwrap_or(false)
    }
    /// `destructiveHint`, default true.
    pub fn destructive_or_default(&self) -> bool {
        self.destructive.unwrap_or(true)
    }
    /// `idempotentHint`, default false.
    pub fn idempotent_or_default(&self) -> bool {
        self.idempotent.unwrap_or(false)
    }
    /// `openWorldHint`, default true.
    pub fn open_world_or_default(&self) -> bool {
        self.open_world.unwrap_or(true)
    }
}

/// An MCP resource (parsed, not generated).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpResource {
    pub name: String,
    pub label: Option<String>,
    pub uri: Option<String>,
    pub description: Option<String>,
    pub mime_type: Option<String>,
    pub call: Option<String>,
    #[serde(default)]
    pub with: IndexMap<String, WithValue>,
    #[serde(default)]
    pub steps: Vec<OperationStep>,
    #[serde(default)]
    pub mappings: Vec<StepMapping>,
    #[serde(default)]
    pub output_parameters: Vec<OutputParameter>,
    pub location: Option<String>,
}

/// An MCP prompt (parsed, not generated).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpPrompt {
    pub name: String,
    pub label: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub arguments: Vec<McpPromptArgument>,
    #[serde(default)]
    pub template: Vec<McpPromptMessage>,
    pub location: Option<String>,
}

/// An argument of an [`McpPrompt`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpPromptArgument {
    pub name: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub required: Option<bool>,
}

/// A message of an [`McpPrompt`] template.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct McpPromptMessage {
    pub role: String,
    pub content: String,
}

/// A control adapter's `management.scripting`: defaults and limits for `script` steps.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScriptingSettings {
    /// `false` makes every script step fail (the `NAFTIKO_SCRIPTING` variable decides when unset).
    pub enabled: Option<bool>,
    pub default_location: Option<String>,
    pub default_language: Option<String>,
    /// Milliseconds per script run.
    pub timeout: Option<u64>,
    pub statement_limit: Option<u64>,
    #[serde(default)]
    pub allowed_languages: Vec<String>,
}

/// A skill server adapter (`type: skill`): a catalog of Agent Skills whose tools are operations
/// and tools of sibling adapters, or instruction files.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExposesSkill {
    pub namespace: String,
    pub port: u16,
    pub address: Option<String>,
    pub description: Option<String>,
    /// Inbound authentication of the catalog.
    #[serde(default, deserialize_with = "super::auth::optional_auth")]
    pub authentication: Option<Authentication>,
    #[serde(default)]
    pub skills: Vec<ExposedSkill>,
}

/// A skill, with the Agent Skills front matter fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExposedSkill {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub license: Option<String>,
    pub compatibility: Option<String>,
    #[serde(default)]
    pub metadata: IndexMap<String, String>,
    pub allowed_tools: Option<String>,
    pub argument_hint: Option<String>,
    pub user_invocable: Option<bool>,
    pub disable_model_invocation: Option<bool>,
    /// A `file:///` directory holding the skill's files (instructions among them).
    pub location: Option<String>,
    #[serde(default)]
    pub tools: Vec<SkillTool>,
}

/// A tool of a skill: an operation or tool of a sibling adapter (`from`), or an instruction
/// file under the skill's `location`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillTool {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub from: Option<SkillToolFrom>,
    pub instruction: Option<String>,
}

/// Where a derived skill tool comes from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkillToolFrom {
    pub source_namespace: String,
    pub action: String,
}
