//! The MCP adapter: an rmcp server whose tool table is the generated `mcp-tools.json`, each
//! tool bound to a consumed operation (or steps), with the adapter's resources and prompts. Arguments are validated against the tool's input schema
//! before anything goes upstream; upstream answers become tool results (structured JSON for
//! JSON bodies, `isError` for upstream errors), with URLs rewritten and secrets removed.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, GetPromptRequestParams,
    GetPromptResponse, Implementation, ListPromptsResult, ListResourceTemplatesResult,
    ListResourcesResult, ListToolsResult, PaginatedRequestParams, ReadResourceRequestParams,
    ReadResourceResponse, ReadResourceResult, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::{Map, Value, json};

use crate::support::mapping::{self, Compiled, Output};
use crate::support::params;
use crate::support::prompts::{self, PromptSpec};
use crate::support::resources::{self, ResourceSource, ResourceSpec, Target};
use crate::support::rewrite::Rewriter;
use crate::support::steps::{self, FailureKind, Orchestration, Outcome};
use crate::support::upstream::{self, ArgSpec, CallError, CallFn, UpstreamResponse};

/// One tool's binding to its consumed operation.
pub struct ToolSpec<S: 'static> {
    /// The tool name (as in `mcp-tools.json`).
    pub name: &'static str,
    /// How each consumed input gets its value.
    pub arguments: &'static [ArgSpec],
    /// The call of the consumed operation; `None` in mock mode and for orchestrations.
    pub call: Option<CallFn<S>>,
    /// Orchestrated `steps` (instead of one call).
    pub steps: Option<&'static Orchestration<S>>,
    /// Whether every argument reaches the call (a declared request, whose templates may read any).
    pub all_inputs: bool,
    /// What the tool returns.
    pub output: Output,
    /// Whether results are wrapped as `{"result": …}` (the advertised output schema says so).
    pub wrap_result: bool,
    /// Response headers returned beside a wrapped result as `{"headers": {…}}`.
    pub result_headers: &'static [&'static str],
}

/// Server identity and behaviour.
pub struct McpSettings {
    /// `serverInfo.name`.
    pub name: String,
    /// `serverInfo.version`.
    pub version: String,
    /// `instructions`, from the adapter's description.
    pub instructions: Option<String>,
    /// Where management URLs in results should point (the REST adapter's public address);
    /// empty when no REST adapter is served, and URLs then only lose their credentials.
    pub public_base: String,
}

/// A tool's binding, ready to call.
struct Bound<S: 'static> {
    spec: &'static ToolSpec<S>,
    validator: Option<jsonschema::Validator>,
    output: Compiled,
    steps: Option<steps::Compiled<S>>,
}

/// The resources and prompts of the adapter.
pub struct Extras<S: 'static> {
    /// MCP resources.
    pub resources: &'static [ResourceSpec<S>],
    /// MCP prompts.
    pub prompts: &'static [PromptSpec],
}

struct Inner<S: 'static> {
    tools: Vec<Tool>,
    by_name: HashMap<String, Bound<S>>,
    resources: &'static [ResourceSpec<S>],
    /// Per resource: its output parameters and its orchestration, parsed once.
    resource_outputs: Vec<(Compiled, Option<steps::Compiled<S>>)>,
    prompts: &'static [PromptSpec],
    upstream: S,
    rewriter: Rewriter,
    variables: Arc<BTreeMap<String, String>>,
    settings: McpSettings,
}

/// The MCP server handler (cheap to clone: one per session).
pub struct McpServer<S: 'static> {
    inner: Arc<Inner<S>>,
}

impl<S: 'static> Clone for McpServer<S> {
    fn clone(&self) -> Self {
        McpServer {
            inner: self.inner.clone(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> McpServer<S> {
    /// Builds the server from the `tools/list` JSON and the bindings. Fails when the tool
    /// table and the bindings disagree (a generator bug).
    pub fn new(
        tools_json: &str,
        specs: &'static [ToolSpec<S>],
        extras: Extras<S>,
        upstream: S,
        rewriter: Rewriter,
        variables: Arc<BTreeMap<String, String>>,
        settings: McpSettings,
    ) -> Result<McpServer<S>, String> {
        let list: Value =
            serde_json::from_str(tools_json).map_err(|err| format!("mcp-tools.json: {err}"))?;
        let mut tools = Vec::new();
        let mut by_name = HashMap::new();
        for raw in list
            .get("tools")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let tool: Tool = serde_json::from_value(raw.clone())
                .map_err(|err| format!("mcp-tools.json: {err}"))?;
            let Some(spec) = specs.iter().find(|it| it.name == tool.name.as_ref()) else {
                return Err(format!("tool `{}` has no binding", tool.name));
            };
            let schema = raw
                .get("inputSchema")
                .cloned()
                .unwrap_or(json!({"type": "object"}));
            let bound = Bound {
                spec,
                validator: jsonschema::validator_for(&schema).ok(),
                output: spec.output.compile(),
                steps: spec.steps.map(Orchestration::compile),
            };
            by_name.insert(tool.name.to_string(), bound);
            tools.push(tool);
        }
        let resource_outputs = extras
            .resources
            .iter()
            .map(|spec| match &spec.source {
                ResourceSource::Call { output, .. } => (output.compile(), None),
                ResourceSource::Steps(orchestration) => {
                    (Compiled::Passthrough, Some(orchestration.compile()))
                }
                ResourceSource::Directory(_) => (Compiled::Passthrough, None),
            })
            .collect();
        Ok(McpServer {
            inner: Arc::new(Inner {
                tools,
                by_name,
                resources: extras.resources,
                resource_outputs,
                prompts: extras.prompts,
                upstream,
                rewriter,
                variables,
                settings,
            }),
        })
    }

    async fn call(
        &self,
        name: &str,
        arguments: Map<String, Value>,
    ) -> Result<CallToolResult, ErrorData> {
        let inner = &self.inner;
        let Some(bound) = inner.by_name.get(name) else {
            return Err(ErrorData::invalid_params(
                format!("unknown tool: {name}"),
                None,
            ));
        };
        if let Some(validator) = &bound.validator {
            let problems = params::argument_errors(validator, &arguments);
            if !problems.is_empty() {
                let text = format!(
                    "Invalid arguments for `{name}`:\n- {}",
                    problems.join("\n- ")
                );
                return Ok(error_text(text));
            }
        }
        let spec = bound.spec;
        if let Some(orchestration) = &bound.steps {
            let base = &inner.settings.public_base;
            return Ok(
                match steps::run(orchestration, &inner.upstream, &arguments, &inner.variables).await
                {
                    Ok(Outcome::Mapped(mut value)) => {
                        inner.rewriter.rewrite_json(&mut value, base);
                        structured(spec, value)
                    }
                    Ok(Outcome::Last(response)) => self.answer(bound, &arguments, response),
                    Err(failure) => {
                        let (step, operation) = (failure.step, failure.operation);
                        let what = match failure.kind {
                            FailureKind::Call(err) => call_error_text(err),
                            FailureKind::Status(response) => self.upstream_error_text(&response),
                            FailureKind::Script(message) => message,
                        };
                        error_text(format!("Step `{step}` (`{operation}`) failed. {what}"))
                    }
                },
            );
        }
        let Some(call) = spec.call else {
            let Compiled::Mock(parameters) = &bound.output else {
                return Ok(error_text("The tool calls nothing."));
            };
            let value = mapping::mock_first(parameters, &arguments);
            return Ok(structured(spec, value));
        };
        let args = upstream::arguments(
            spec.arguments,
            &arguments,
            &inner.variables,
            spec.all_inputs,
        );
        Ok(match call(inner.upstream.clone(), args).await {
            Ok(response) => self.answer(bound, &arguments, response),
            Err(err) => error_text(call_error_text(err)),
        })
    }

    /// Reads the resource at `index` (a call or steps resource) with the URI's variables.
    async fn read_answer(
        &self,
        uri: &str,
        index: usize,
        inputs: Map<String, Value>,
    ) -> Result<ReadResourceResult, ErrorData> {
        let inner = &self.inner;
        let spec = &inner.resources[index];
        let (output, orchestration) = &inner.resource_outputs[index];
        let base = &inner.settings.public_base;
        let failed =
            |what: String| ErrorData::internal_error(format!("resource `{uri}`: {what}"), None);
        let response = match (&spec.source, orchestration) {
            (
                ResourceSource::Call {
                    call,
                    arguments,
                    all_inputs,
                    ..
                },
                _,
            ) => {
                let args = upstream::arguments(arguments, &inputs, &inner.variables, *all_inputs);
                call(inner.upstream.clone(), args)
                    .await
                    .map_err(|err| failed(call_error_text(err)))?
            }
            (ResourceSource::Steps(_), Some(compiled)) => {
                match steps::run(compiled, &inner.upstream, &inputs, &inner.variables).await {
                    Ok(Outcome::Mapped(mut value)) => {
                        inner.rewriter.rewrite_json(&mut value, base);
                        return self.answer_content(spec, uri, value.to_string());
                    }
                    Ok(Outcome::Last(response)) => response,
                    Err(failure) => {
                        let what = match failure.kind {
                            FailureKind::Call(err) => call_error_text(err),
                            FailureKind::Status(response) => self.upstream_error_text(&response),
                            FailureKind::Script(message) => message,
                        };
                        return Err(failed(format!("step `{}` failed. {what}", failure.step)));
                    }
                }
            }
            _ => return Err(failed("no content".to_owned())),
        };
        if !response.status.is_success() {
            return Err(failed(self.upstream_error_text(&response)));
        }
        let text = match output {
            Compiled::Mapped(parameters) => {
                let document = if response.body.is_empty() {
                    Value::Null
                } else {
                    response.to_json().map_err(|err| {
                        failed(format!(
                            "the upstream answer could not be read: {}",
                            inner.rewriter.rewrite_text(&err, base).unwrap_or(err)
                        ))
                    })?
                };
                let mut value = mapping::project_first(parameters, &document, &inputs);
                inner.rewriter.rewrite_json(&mut value, base);
                value.to_string()
            }
            _ => match serde_json::from_slice::<Value>(&response.body) {
                Ok(mut value) => {
                    inner.rewriter.rewrite_json(&mut value, base);
                    value.to_string()
                }
                Err(_) => text_of(&inner.rewriter, &response.body, base),
            },
        };
        self.answer_content(spec, uri, text)
    }

    fn answer_content(
        &self,
        spec: &ResourceSpec<S>,
        uri: &str,
        text: String,
    ) -> Result<ReadResourceResult, ErrorData> {
        let mime_type = spec.mime_type.unwrap_or("application/json");
        resources::text_result(json!({ "uri": uri, "mimeType": mime_type, "text": text }))
    }

    /// An upstream error answer as text: URLs rewritten, secrets removed.
    fn upstream_error_text(&self, response: &UpstreamResponse) -> String {
        let inner = &self.inner;
        let base = &inner.settings.public_base;
        let status = response.status;
        let body = match serde_json::from_slice::<Value>(&response.body) {
            Ok(mut value) => {
                inner.rewriter.rewrite_json(&mut value, base);
                value.to_string()
            }
            Err(_) => text_of(&inner.rewriter, &response.body, base),
        };
        if body.is_empty() {
            format!("The upstream API answered HTTP {status} with no body.")
        } else {
            format!("The upstream API answered HTTP {status}: {body}")
        }
    }

    /// The tool result for an upstream answer: errors as `isError`, mapped or passed-through
    /// JSON as structured content.
    fn answer(
        &self,
        bound: &Bound<S>,
        arguments: &Map<String, Value>,
        response: UpstreamResponse,
    ) -> CallToolResult {
        let inner = &self.inner;
        let spec = bound.spec;
        let status = response.status;
        let base = &inner.settings.public_base;
        if !status.is_success() {
            return error_text(self.upstream_error_text(&response));
        }
        if let Compiled::Mapped(parameters) = &bound.output {
            let document = if response.body.is_empty() {
                Value::Null
            } else {
                match response.to_json() {
                    Ok(document) => document,
                    Err(err) => {
                        let text = format!(
                            "The upstream answer could not be read: {}",
                            inner.rewriter.rewrite_text(&err, base).unwrap_or(err)
                        );
                        return error_text(text);
                    }
                }
            };
            let mut value = mapping::project_first(parameters, &document, arguments);
            inner.rewriter.rewrite_json(&mut value, base);
            return structured(spec, value);
        }
        if response.body.is_empty() {
            let text = format!("Accepted: the upstream API answered HTTP {status} with no body.");
            return CallToolResult::success(vec![ContentBlock::text(text)]);
        }
        let Ok(mut value) = serde_json::from_slice::<Value>(&response.body) else {
            let text = text_of(&inner.rewriter, &response.body, base);
            return CallToolResult::success(vec![ContentBlock::text(text)]);
        };
        inner.rewriter.rewrite_json(&mut value, base);
        if spec.wrap_result {
            let mut wrapped = json!({ "result": value });
            let headers: Map<String, Value> = spec
                .result_headers
                .iter()
                .filter_map(|name| {
                    let text = response
                        .headers
                        .get(*name)?
                        .to_str()
                        .ok()
                        .filter(|it| !it.is_empty())?;
                    let text = inner
                        .rewriter
                        .rewrite_url(text, base)
                        .or_else(|| inner.rewriter.rewrite_text(text, base))
                        .unwrap_or_else(|| text.to_owned());
                    Some(((*name).to_owned(), Value::String(text)))
                })
                .collect();
            if !headers.is_empty() {
                wrapped["headers"] = Value::Object(headers);
            }
            CallToolResult::structured(wrapped)
        } else if value.is_object() {
            CallToolResult::structured(value)
        } else {
            CallToolResult::success(vec![ContentBlock::text(value.to_string())])
        }
    }
}

fn error_text(text: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text.into())])
}

fn call_error_text(err: CallError) -> String {
    match err {
        CallError::InvalidArgument { name, message } => {
            format!("Invalid argument `{name}`: {message}")
        }
        CallError::Unreachable => "The upstream API could not be reached.".to_owned(),
        CallError::Timeout => "The upstream API did not answer in time.".to_owned(),
    }
}

/// An upstream body as tool-result text: upstream URLs rewritten, secrets removed.
fn text_of(rewriter: &Rewriter, body: &[u8], base: &str) -> String {
    let text = String::from_utf8_lossy(body);
    rewriter
        .rewrite_text(&text, base)
        .unwrap_or_else(|| text.into_owned())
}

/// A mapped or mock result: structured content matching the advertised output schema (wrapped
/// as `{"result": …}` when its root is not an object).
fn structured<S>(spec: &ToolSpec<S>, value: Value) -> CallToolResult {
    if spec.wrap_result {
        CallToolResult::structured(json!({ "result": value }))
    } else if value.is_object() {
        CallToolResult::structured(value)
    } else {
        CallToolResult::success(vec![ContentBlock::text(value.to_string())])
    }
}

impl<S: Clone + Send + Sync + 'static> ServerHandler for McpServer<S> {
    fn get_info(&self) -> ServerConfig {
        let inner = &self.inner;
        let settings = &inner.settings;
        // Resources and prompts are advertised only when the adapter declares some.
        let mut capabilities = json!({ "tools": {} });
        if !inner.resources.is_empty() {
            capabilities["resources"] = json!({});
        }
        if !inner.prompts.is_empty() {
            capabilities["prompts"] = json!({});
        }
        let capabilities: ServerCapabilities =
            serde_json::from_value(capabilities).unwrap_or_default();
        let config = ServerConfig::new(capabilities).with_server_info(Implementation::new(
            settings.name.clone(),
            settings.version.clone(),
        ));
        match &settings.instructions {
            Some(instructions) => config.with_instructions(instructions.clone()),
            None => config,
        }
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.inner.tools.iter().find(|it| it.name == name).cloned()
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.inner.tools.clone()))
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        Ok(resources::list(self.inner.resources))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(resources::templates(self.inner.resources))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri.as_str();
        let result = match resources::resolve(self.inner.resources, uri)? {
            Target::File { path, mime_type } => resources::read_file(uri, &path, &mime_type)?,
            Target::Answer { spec, inputs } => {
                let index = self
                    .inner
                    .resources
                    .iter()
                    .position(|it| std::ptr::eq(it, spec))
                    .unwrap_or_default();
                self.read_answer(uri, index, inputs).await?
            }
        };
        Ok(result.into())
    }

    async fn list_prompts(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListPromptsResult, ErrorData> {
        Ok(prompts::list(self.inner.prompts))
    }

    async fn get_prompt(
        &self,
        request: GetPromptRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<GetPromptResponse, ErrorData> {
        prompts::get(
            self.inner.prompts,
            &request.name,
            request.arguments.as_ref(),
        )
        .map(Into::into)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let started = std::time::Instant::now();
        let Some(_permit) = crate::support::admission::admit() else {
            let seconds = crate::support::admission::RETRY_AFTER_SECONDS;
            return Ok(error_text(format!(
                "The server is answering as many calls as it may; retry in {seconds} s."
            ))
            .into());
        };
        let arguments = request.arguments.unwrap_or_default();
        let result = self.call(request.name.as_ref(), arguments).await;
        if let Ok(answer) = &result {
            let is_error = answer.is_error.unwrap_or(false);
            crate::support::metrics::tool_call(request.name.as_ref(), is_error, started.elapsed());
        }
        result.map(Into::into)
    }
}
