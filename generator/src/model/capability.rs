//! The capability IR: a capability's consumed API, its exposed REST operations and MCP tools,
//! each exposed item bound to one consumed operation with resolved input mappings.
//!
//! Built by [`crate::model::join`]; read by the server and MCP emitters. Everything here is
//! resolved: names are final, every input has a JSON Schema, every argument says where its
//! value comes from, so emitters make no decisions of their own about the documents.

use serde::Serialize;
use serde_json::Value;

/// One capability, joined with its OpenAPI document.
#[derive(Debug, Clone, Serialize)]
pub struct CapabilityModel {
    /// The capability file as given on the command line.
    pub source: String,
    pub naftiko: String,
    pub label: Option<String>,
    pub description: Option<String>,
    pub consumes: Vec<ConsumedApi>,
    pub rest: Vec<RestAdapter>,
    pub mcp: Vec<McpAdapter>,
    pub skills: Vec<SkillAdapter>,
    /// The `control` adapter (at most one), served on its own port.
    pub control: Option<ControlAdapter>,
    /// Every variable of the capability's `binds`, resolved by the generated server at start-up
    /// (a missing one stops it), in declaration order.
    pub variables: Vec<Variable>,
}

/// A bound variable and where its value comes from.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Variable {
    /// The variable name used in the capability (`DURABLE_FUNCTIONS_API_KEY`).
    pub variable: String,
    /// The bind namespace that declares it.
    pub namespace: String,
    /// The provider key: the environment variable the value is read from, or the key inside
    /// the `location` file.
    pub key: String,
    /// A `file:///` location when the bind reads from a file instead of the environment.
    pub location: Option<String>,
    /// Whether the value is a credential (used in an `authentication` block, or named like
    /// one): it is then scrubbed from everything the server answers.
    pub secret: bool,
    /// Whether the server refuses to start without it (binds); `in: environment` parameters
    /// are optional.
    pub required: bool,
}

/// A `consumes` entry of type http.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumedApi {
    pub namespace: String,
    pub description: Option<String>,
    /// `baseUri` as written, with server variables as `{name}`.
    pub base_uri: String,
    /// Server variables in the base URI (`appName` in `https://{appName}.azurewebsites.net`).
    pub variables: Vec<String>,
    pub auth: Option<OutboundAuth>,
    /// The API's own `inputParameters` (its operations have them too, first).
    pub parameters: Vec<WireParameter>,
    pub operations: Vec<ConsumedOperation>,
    pub pointer: String,
    /// The file that declares this API: the capability, or the shared consumer file it was
    /// imported from (`location` + `import`).
    pub file: String,
}

/// How the server authenticates to the consumed API.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum OutboundAuth {
    ApiKey {
        name: String,
        placement: KeyPlacement,
        value: ValueSource,
    },
    Bearer {
        token: ValueSource,
    },
    Basic {
        username: ValueSource,
        password: ValueSource,
    },
    /// HTTP Digest (RFC 7616): answered after the upstream's `401` challenge.
    Digest {
        username: ValueSource,
        password: ValueSource,
    },
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum KeyPlacement {
    Query,
    Header,
    Cookie,
}

/// Where a value comes from.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum ValueSource {
    /// An input of the exposed adapter (REST request parameter or MCP tool argument).
    Input(String),
    /// A bound variable (see [`CapabilityModel::variables`]).
    Secret(String),
    /// A fixed value written in the capability.
    Literal(Value),
    /// A Mustache template over inputs and variables (`"{{a}}-{{b}}"`).
    Template(String),
}

/// One operation of a consumed API.
#[derive(Debug, Clone, Serialize)]
pub struct ConsumedOperation {
    pub name: String,
    pub method: String,
    /// Path template relative to the base URI, with `{name}` variables.
    pub path: String,
    pub description: Option<String>,
    /// The joined OpenAPI operation, if any.
    pub openapi: Option<OpenApiRef>,
    pub inputs: Vec<Input>,
    /// The request as the capability declares it (what the server sends when no OpenAPI
    /// operation is joined).
    pub request: DeclaredRequest,
    /// How the upstream body is read before output mappings (`outputRawFormat`).
    pub format: RawFormat,
    /// `outputSchema`: a CSS selector (html) or heading prefix (markdown).
    pub selector: Option<String>,
    /// The operation's own `outputParameters` as the runtime reads them (`value: $.x` read as
    /// `mapping`); they project its output where an orchestration step calls it.
    pub outputs: Vec<Value>,
    pub pointer: String,
}

/// The request of a consumed operation as the Naftiko engine builds it: Mustache templates over
/// the call's parameters and the bound variables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DeclaredRequest {
    /// The path relative to the base URI as a Mustache template (`/ships/{{imo}}`); the seed
    /// dialect's `{x}` is read as `{{x}}`.
    pub path: String,
    /// The consumed `inputParameters` of the adapter, the resource and the operation, in that
    /// order.
    pub parameters: Vec<WireParameter>,
    pub body: Option<DeclaredBody>,
    /// Variables the templates reference that are neither bound variables nor declared
    /// parameters (caller-supplied values).
    pub template_variables: Vec<String>,
}

/// A consumed input parameter: where it goes and, when fixed, its template.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WireParameter {
    pub name: String,
    pub location: WireLocation,
    /// A Mustache template; `None` takes the call parameter of the same name.
    pub value: Option<String>,
}

/// `in` of a consumed input parameter.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WireLocation {
    Query,
    Header,
    Path,
    Cookie,
    Body,
    /// Read from the server's environment into the call parameters; not sent.
    Environment,
}

/// A consumed operation's `body`.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DeclaredBody {
    /// A Mustache template sent with `media_type` (a raw string body is JSON, as in the engine;
    /// `type: json` data is serialised to JSON text first).
    Template {
        media_type: String,
        template: String,
    },
    /// `formUrlEncoded` data given as a mapping: each value a template.
    Form { fields: Vec<(String, String)> },
    /// `multipartForm` parts.
    Multipart { parts: Vec<MultipartPart> },
}

/// One part of a `multipartForm` body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MultipartPart {
    pub name: String,
    /// A Mustache template.
    pub value: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// `outputRawFormat`: how an upstream body is turned into JSON before output mappings.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum RawFormat {
    #[default]
    Json,
    Xml,
    Yaml,
    Csv,
    Tsv,
    Psv,
    Html,
    Markdown,
    /// Binary formats that need their schema file; not converted (passed through only).
    Avro,
    Protobuf,
    /// Anything capgen does not convert: the body is only passed through.
    Raw,
}

/// The OpenAPI operation a consumed operation was joined with.
#[derive(Debug, Clone, Serialize)]
pub struct OpenApiRef {
    pub method: String,
    /// The path template exactly as written in the OpenAPI document.
    pub path: String,
    pub operation_id: Option<String>,
    /// A JSON Schema every 2xx response body satisfies, when there is one (for `outputSchema`).
    pub success_schema: Option<Value>,
    /// Whether some 2xx response has no body (e.g. 202 Accepted).
    pub success_without_body: bool,
    /// Every documented response, in document order.
    pub responses: Vec<ResponseInfo>,
}

/// One documented response of an OpenAPI operation.
#[derive(Debug, Clone, Serialize)]
pub struct ResponseInfo {
    /// `200`, `2XX` or `default`.
    pub status: String,
    pub description: String,
    /// The media type and JSON Schema of the body, when it has one.
    pub media_type: Option<String>,
    pub schema: Option<Value>,
    /// Response headers with their JSON Schemas.
    pub headers: Vec<(String, Value)>,
}

/// Where a request input goes on the wire.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Path,
    Query,
    Header,
    Cookie,
    Body,
}

/// Where an input's definition came from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// Declared in the capability.
    Declared,
    /// Taken from the OpenAPI operation.
    OpenApi,
    /// A path template variable nobody declared.
    PathTemplate,
    /// A variable a declared template (body, parameter value) reads.
    Template,
}

/// One input of a consumed operation, or of an exposed operation or tool.
#[derive(Debug, Clone, Serialize)]
pub struct Input {
    /// The wire name (consumed side) or the exposed name (REST parameter, MCP argument).
    pub name: String,
    pub location: Location,
    pub required: bool,
    /// JSON Schema 2020-12 of the value, self-contained.
    pub schema: Value,
    pub description: Option<String>,
    pub origin: Origin,
    /// A value fixed by the capability (`value:` on a consumed parameter); such inputs are never
    /// exposed.
    pub fixed: Option<ValueSource>,
    /// Exposed body inputs: a JSONPath selecting the value inside the JSON request body (`None`:
    /// the same-named field when several inputs share the body, else the whole body).
    pub body_path: Option<String>,
}

/// How a consumed input gets its value in one exposed operation or tool.
#[derive(Debug, Clone, Serialize)]
pub struct Argument {
    /// The consumed input's name.
    pub consumed: String,
    pub source: ValueSource,
}

/// The reference from an exposed item to the consumed operation it calls.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    pub namespace: String,
    pub operation: String,
    /// Index into [`CapabilityModel::consumes`].
    pub api: usize,
    /// Index into [`ConsumedApi::operations`].
    pub index: usize,
}

/// What an exposed item returns.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OutputShape {
    /// The upstream body, unchanged.
    Passthrough,
    /// A projection of the upstream JSON (Naftiko output parameters, JSONPath mappings). The
    /// first parameter that yields a non-null value wins, as in the engine.
    Mapped {
        parameters: Vec<Value>,
        /// JSON Schema of what the projection returns.
        schema: Value,
    },
    /// Mock mode: no upstream call; static or Mustache `value`s over the inputs.
    Mock {
        parameters: Vec<Value>,
        schema: Value,
    },
    /// An orchestration's `mappings` shaped by its declared outputs (always an object).
    Orchestrated { schema: Value },
}

impl OutputShape {
    /// The JSON Schema of the result, when the capability declares one.
    pub fn schema(&self) -> Option<&Value> {
        match self {
            OutputShape::Passthrough => None,
            OutputShape::Mapped { schema, .. }
            | OutputShape::Mock { schema, .. }
            | OutputShape::Orchestrated { schema } => Some(schema),
        }
    }
}

/// Orchestrated `steps` of an exposed operation, a tool or the aggregate function it refs.
#[derive(Debug, Clone, Serialize)]
pub struct Orchestration {
    pub steps: Vec<Step>,
    /// `mappings`: how the answer is built from the step outputs (empty: the last call's answer).
    pub mappings: Vec<OutputMapping>,
    /// The declared (orchestrated) `outputParameters` as the runtime reads them.
    pub outputs: Vec<Value>,
}

/// One orchestration step.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub name: String,
    /// Earlier steps (by index) whose outputs this one reads: it runs after them, and steps that
    /// read nothing of each other may run concurrently.
    pub after: Vec<usize>,
    pub kind: StepKind,
    pub pointer: String,
}

/// What a step does.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum StepKind {
    /// Calls a consumed operation with the step's `with` values.
    Call {
        call: Call,
        arguments: Vec<Argument>,
        /// The consumed operation's `outputParameters` (projecting the step output).
        outputs: Vec<Value>,
    },
    /// Finds the entries of an earlier step's output whose `matching` field equals the value.
    Lookup {
        /// Index of the searched step.
        index: usize,
        matching: String,
        /// `$.<step>.<path>` or a Mustache template.
        value: String,
        fields: Vec<String>,
    },
    /// Runs a JavaScript file over the inputs, the earlier step outputs and its `with` values.
    Script {
        /// The scripts directory (`file:///…`).
        location: String,
        /// The main script, relative to `location`.
        file: String,
        /// Scripts evaluated before it, in order, relative to `location`.
        dependencies: Vec<String>,
        arguments: Vec<Argument>,
        /// Milliseconds a run may take.
        timeout_ms: u64,
        /// How many statements a run may execute.
        statement_limit: u64,
        /// `management.scripting.enabled`, when the capability sets it.
        enabled: Option<bool>,
    },
}

/// A `mappings` entry.
#[derive(Debug, Clone, Serialize)]
pub struct OutputMapping {
    /// `targetName` (dot notation nests).
    pub target: String,
    /// `$.<step name>.<JSONPath>`.
    pub value: String,
}

/// An `exposes: rest` adapter.
#[derive(Debug, Clone, Serialize)]
pub struct RestAdapter {
    pub namespace: String,
    pub address: Option<String>,
    pub port: u16,
    pub inbound_auth: Option<OutboundAuth>,
    pub operations: Vec<RestOperation>,
    pub forwards: Vec<Forward>,
    pub pointer: String,
}

/// A REST resource that `forward`s requests to a consumed API as they come.
#[derive(Debug, Clone, Serialize)]
pub struct Forward {
    /// The resource path without its trailing `{path}` variable.
    pub prefix: String,
    /// Whether the path below `prefix` is forwarded.
    pub below: bool,
    /// Index into [`CapabilityModel::consumes`].
    pub api: usize,
    pub trusted_headers: Vec<String>,
    /// The resource's `description`.
    pub description: Option<String>,
    pub pointer: String,
}

/// One exposed REST operation.
#[derive(Debug, Clone, Serialize)]
pub struct RestOperation {
    pub name: String,
    pub method: String,
    /// The exposed path template with `{name}` variables, exactly as the capability spells it.
    pub path: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// The consumed operation; `None` in mock mode and for orchestrations.
    pub call: Option<Call>,
    /// Orchestrated steps, instead of one call.
    pub steps: Option<Orchestration>,
    /// The request inputs of this route: path variables, query and header parameters, body.
    pub inputs: Vec<Input>,
    pub arguments: Vec<Argument>,
    pub output: OutputShape,
    pub pointer: String,
}

/// An `exposes: mcp` adapter.
#[derive(Debug, Clone, Serialize)]
pub struct McpAdapter {
    pub namespace: String,
    pub address: Option<String>,
    pub port: Option<u16>,
    pub stdio: bool,
    /// Sent as `instructions` in the MCP handshake.
    pub description: Option<String>,
    pub inbound_auth: Option<OutboundAuth>,
    pub tools: Vec<Tool>,
    pub resources: Vec<Resource>,
    pub prompts: Vec<Prompt>,
    pub pointer: String,
}

/// An `exposes: control` adapter: the management plane (health, info, metrics) on its own port.
#[derive(Debug, Clone, Serialize)]
pub struct ControlAdapter {
    /// The bind address (the engine's default: localhost).
    pub address: Option<String>,
    pub port: u16,
    /// `/health/live` and `/health/ready`.
    pub health: bool,
    /// `/status` and `/config`.
    pub info: bool,
    /// `/metrics` (Prometheus text).
    pub metrics: bool,
    pub inbound_auth: Option<OutboundAuth>,
    pub pointer: String,
}

/// An `exposes: skill` adapter: a catalog of Agent Skills, served on its own port and written
/// out as one skill directory per skill.
#[derive(Debug, Clone, Serialize)]
pub struct SkillAdapter {
    pub namespace: String,
    pub address: Option<String>,
    pub port: u16,
    pub description: Option<String>,
    pub inbound_auth: Option<OutboundAuth>,
    pub skills: Vec<Skill>,
    pub pointer: String,
}

/// One skill.
#[derive(Debug, Clone, Serialize)]
pub struct Skill {
    /// A kebab-case identifier: the skill directory's name.
    pub name: String,
    pub description: String,
    /// The other front matter fields as written (`license`, `compatibility`, `allowed-tools`,
    /// `argument-hint`, `user-invocable`, `disable-model-invocation`, `metadata`), in that order.
    pub front_matter: Vec<(String, Value)>,
    pub tools: Vec<SkillTool>,
    /// The text files of the skill's `location` directory, read at generation time (its own
    /// `SKILL.md` aside: capgen writes that one from the capability).
    pub files: Vec<SkillFile>,
}

/// A tool of a skill.
#[derive(Debug, Clone, Serialize)]
pub struct SkillTool {
    pub name: String,
    pub description: String,
    pub source: SkillToolSource,
}

/// Where a skill tool comes from.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SkillToolSource {
    /// An operation or tool of a sibling adapter.
    Derived {
        namespace: String,
        action: String,
        target: SkillTarget,
    },
    /// An instruction file, relative to the skill's directory.
    Instruction { path: String },
}

/// The sibling item a derived skill tool stands for.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum SkillTarget {
    /// `rest[adapter].operations[operation]`; `None` when no operation has the action's name.
    Rest {
        adapter: usize,
        operation: Option<usize>,
    },
    /// `mcp[adapter].tools[tool]`; `None` when no tool has the action's name.
    Mcp { adapter: usize, tool: Option<usize> },
}

/// A file of a skill directory.
#[derive(Debug, Clone, Serialize)]
pub struct SkillFile {
    /// `/`-separated, relative to the skill directory.
    pub path: String,
    pub contents: String,
}

/// An MCP resource.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    pub name: String,
    /// From the capability's `label`.
    pub title: Option<String>,
    /// A URI, a URI template (`{name}` segments), or the prefix of a directory's file URIs.
    pub uri: String,
    pub description: Option<String>,
    pub mime_type: Option<String>,
    pub source: ResourceSource,
    pub pointer: String,
}

/// Where an MCP resource's content comes from.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ResourceSource {
    /// A consumed operation's answer; the URI template's variables are inputs.
    Call {
        call: Call,
        arguments: Vec<Argument>,
        output: OutputShape,
    },
    /// Orchestrated steps.
    Steps { orchestration: Orchestration },
    /// The files of a `file:///` directory.
    Directory { location: String },
}

/// An MCP prompt.
#[derive(Debug, Clone, Serialize)]
pub struct Prompt {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub arguments: Vec<PromptArgument>,
    /// `template` messages as (role, content with `{{argument}}` placeholders).
    pub messages: Vec<(String, String)>,
    /// A `file:///` prompt file (one user message), instead of `messages`.
    pub file: Option<String>,
    pub pointer: String,
}

/// An argument of an MCP prompt.
#[derive(Debug, Clone, Serialize)]
pub struct PromptArgument {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub required: bool,
}

/// One MCP tool, as listed by `tools/list` and bound to its consumed operation.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    /// `type: object`, `additionalProperties: false`, one property per argument.
    pub input_schema: Value,
    /// Present only when every success can satisfy it; see [`Tool::wrap_result`].
    pub output_schema: Option<Value>,
    /// Whether results are wrapped as `{"result": …}` to give them an object root (and room for
    /// [`Tool::result_headers`]).
    pub wrap_result: bool,
    /// Response headers documented on the operation's successes (a paging token, `Location`,
    /// `Retry-After`), returned beside the result as `{"headers": {…}}`.
    pub result_headers: Vec<String>,
    pub annotations: Annotations,
    /// The consumed operation; `None` in mock mode and for orchestrations.
    pub call: Option<Call>,
    /// Orchestrated steps, instead of one call.
    pub steps: Option<Orchestration>,
    /// The tool's arguments (their schema is in `input_schema`).
    pub inputs: Vec<Input>,
    pub arguments: Vec<Argument>,
    pub output: OutputShape,
    pub pointer: String,
}

/// MCP tool annotations, with MCP defaults applied where the capability gives no hint.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    pub read_only_hint: bool,
    pub destructive_hint: bool,
    pub idempotent_hint: bool,
    pub open_world_hint: bool,
}
