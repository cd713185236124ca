//! `mcp-tools.json`: the exact content of the MCP `tools/list` result for a capability's MCP
//! adapters. The generated server embeds this file and serves it verbatim, so what is committed
//! is what agents see.

use serde_json::{Map, Value, json};

use crate::emit::GeneratedFile;
use crate::model::capability::{CapabilityModel, Tool};

/// The file name inside the server crate.
pub const FILE: &str = "mcp-tools.json";

/// One tool as MCP lists it.
pub fn tool_json(tool: &Tool) -> Value {
    let mut object = Map::new();
    object.insert("name".to_owned(), json!(tool.name));
    object.insert("title".to_owned(), json!(tool.title));
    if let Some(description) = &tool.description {
        object.insert("description".to_owned(), json!(description));
    }
    object.insert("inputSchema".to_owned(), tool.input_schema.clone());
    if let Some(schema) = &tool.output_schema {
        object.insert("outputSchema".to_owned(), schema.clone());
    }
    object.insert(
        "annotations".to_owned(),
        json!({
            "title": tool.title,
            "readOnlyHint": tool.annotations.read_only_hint,
            "destructiveHint": tool.annotations.destructive_hint,
            "idempotentHint": tool.annotations.idempotent_hint,
            "openWorldHint": tool.annotations.open_world_hint,
        }),
    );
    Value::Object(object)
}

/// The `tools/list` result of every MCP adapter of the capability, in declaration order.
pub fn tools_list(model: &CapabilityModel) -> Value {
    let tools: Vec<Value> = model
        .mcp
        .iter()
        .flat_map(|it| it.tools.iter())
        .map(tool_json)
        .collect();
    json!({ "tools": tools })
}

pub fn emit(model: &CapabilityModel) -> GeneratedFile {
    let text = serde_json::to_string_pretty(&tools_list(model)).unwrap_or_default();
    GeneratedFile::new(FILE, format!("{text}\n"))
}
