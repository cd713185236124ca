//! The skill adapters' output: one Agent Skills directory per skill (`skills/<name>/SKILL.md`,
//! written from the capability, plus the files of its `location`), and `src/skills.rs`, the
//! catalog the server serves on the adapter's port with those same files embedded.

use proc_macro2::TokenStream;
use quote::quote;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::emit::GeneratedFile;
use crate::emit::templates;
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics};
use crate::model::capability::{
    CapabilityModel, Input, Location, Skill, SkillTarget, SkillToolSource,
};

/// The directory of skill `name`, relative to the crate.
fn directory(name: &str) -> String {
    format!("skills/{name}")
}

/// `skills/<name>/…` for every skill of every skill adapter.
pub fn files(model: &CapabilityModel, diags: &mut Diagnostics) -> Vec<GeneratedFile> {
    let mut res = Vec::new();
    for skill in model.skills.iter().flat_map(|it| &it.skills) {
        let dir = directory(&skill.name);
        match templates::render(
            "server/SKILL.md.j2",
            include_str!("../../../../templates/server/SKILL.md.j2"),
            skill_md_context(model, skill),
        ) {
            Ok(text) => res.push(GeneratedFile::new(format!("{dir}/SKILL.md"), text)),
            Err(message) => diags.push(Diagnostic::error(Code::EmitUnsupported, message)),
        }
        for file in &skill.files {
            res.push(GeneratedFile::new(
                format!("{dir}/{}", file.path),
                file.contents.clone(),
            ));
        }
    }
    res
}

#[derive(Serialize)]
struct SkillMd {
    source: String,
    name: String,
    description: String,
    description_yaml: String,
    front_matter: Vec<String>,
    tools: Vec<Value>,
}

fn skill_md_context(model: &CapabilityModel, skill: &Skill) -> SkillMd {
    let mut front_matter = Vec::new();
    for (key, value) in &skill.front_matter {
        match value {
            // JSON strings are YAML double-quoted scalars.
            Value::Object(entries) => {
                front_matter.push(format!("{key}:"));
                for (name, value) in entries {
                    front_matter.push(format!("  {}: {value}", Value::String(name.clone())));
                }
            }
            other => front_matter.push(format!("{key}: {other}")),
        }
    }
    let tools = skill
        .tools
        .iter()
        .map(|tool| {
            let mut entry =
                json!({"name": tool.name, "description": tool.description, "inputs": []});
            match &tool.source {
                SkillToolSource::Instruction { path } => {
                    entry["kind"] = json!("instruction");
                    entry["instruction"] = json!(path);
                }
                SkillToolSource::Derived {
                    namespace,
                    action,
                    target,
                } => {
                    entry["namespace"] = json!(namespace);
                    entry["action"] = json!(action);
                    match *target {
                        SkillTarget::Rest {
                            adapter,
                            operation: Some(index),
                        } => {
                            let rest = &model.rest[adapter];
                            let op = &rest.operations[index];
                            entry["kind"] = json!("rest");
                            entry["method"] = json!(op.method);
                            entry["path"] = json!(op.path);
                            entry["base"] = json!(base(rest.address.as_deref(), rest.port));
                            entry["inputs"] = inputs(&op.inputs);
                        }
                        SkillTarget::Mcp {
                            adapter,
                            tool: Some(index),
                        } => {
                            let mcp = &model.mcp[adapter];
                            let tool = &mcp.tools[index];
                            entry["kind"] = json!("mcp");
                            let port = mcp.port.unwrap_or(9090);
                            entry["base"] =
                                json!(format!("{}/mcp", base(mcp.address.as_deref(), port)));
                            entry["inputs"] = arguments(&tool.input_schema);
                        }
                        _ => entry["kind"] = json!("unknown"),
                    }
                }
            }
            entry
        })
        .collect();
    SkillMd {
        source: model.source.clone(),
        name: skill.name.clone(),
        description: skill.description.clone(),
        description_yaml: Value::String(skill.description.clone()).to_string(),
        front_matter,
        tools,
    }
}

fn base(address: Option<&str>, port: u16) -> String {
    let host = match address {
        None | Some("0.0.0.0") | Some("::") => "localhost",
        Some(it) => it,
    };
    format!("http://{host}:{port}")
}

/// The type of a JSON Schema, in words.
fn schema_type(schema: &Value) -> String {
    match &schema["type"] {
        Value::String(it) => it.clone(),
        Value::Array(all) => all
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

/// A Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The rows of an MCP tool's argument table, from its input schema.
fn arguments(schema: &Value) -> Value {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|all| all.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else {
        return json!([]);
    };
    properties
        .iter()
        .map(|(name, property)| {
            json!({
                "name": name,
                "location": "argument",
                "type": schema_type(property),
                "required": if required.contains(&name.as_str()) { "yes" } else { "no" },
                "description": cell(property["description"].as_str().unwrap_or("")),
            })
        })
        .collect()
}

/// The rows of a REST operation's input table.
fn inputs(inputs: &[Input]) -> Value {
    inputs
        .iter()
        .map(|input| {
            let location = match input.location {
                Location::Path => "path",
                Location::Query => "query",
                Location::Header => "header",
                Location::Cookie => "cookie",
                Location::Body => "body",
            };
            json!({
                "name": input.name,
                "location": location,
                "type": schema_type(&input.schema),
                "required": if input.required { "yes" } else { "no" },
                "description": cell(input.description.as_deref().unwrap_or("")),
            })
        })
        .collect()
}

/// `src/skills.rs`: the catalog entries, details and embedded files of every skill.
pub fn table(model: &CapabilityModel) -> TokenStream {
    let skills = model.skills.iter().flat_map(|adapter| {
        adapter.skills.iter().map(|skill| {
            let name = &skill.name;
            let summary = summary(skill).to_string();
            let detail = detail(model, skill).to_string();
            let dir = directory(name);
            let paths = std::iter::once("SKILL.md".to_owned())
                .chain(skill.files.iter().map(|it| it.path.clone()));
            let files = paths.map(|path| {
                let include = format!("../{dir}/{path}");
                quote! {
                    crate::support::skills::SkillFile { path: #path, contents: include_str!(#include) }
                }
            });
            quote! {
                crate::support::skills::SkillSpec {
                    name: #name,
                    summary: #summary,
                    detail: #detail,
                    files: &[#(#files),*],
                }
            }
        })
    });
    quote! {
        //! The skill catalog served on the skill adapter's port: each skill's catalog entry,
        //! its detail, and the files of its directory (`skills/<name>/`), embedded.

        /// One entry per skill, in declaration order.
        pub static SKILLS: &[crate::support::skills::SkillSpec] = &[#(#skills),*];
    }
}

/// `GET /skills` lists this for each skill.
fn summary(skill: &Skill) -> Value {
    let mut entry = Map::new();
    entry.insert("name".to_owned(), json!(skill.name));
    entry.insert("description".to_owned(), json!(skill.description));
    if let Some((_, license)) = skill.front_matter.iter().find(|(key, _)| key == "license") {
        entry.insert("license".to_owned(), license.clone());
    }
    let tools: Vec<&str> = skill.tools.iter().map(|it| it.name.as_str()).collect();
    entry.insert("tools".to_owned(), json!(tools));
    Value::Object(entry)
}

/// `GET /skills/{name}`, as the engine answers it.
fn detail(model: &CapabilityModel, skill: &Skill) -> Value {
    let mut entry = Map::new();
    entry.insert("name".to_owned(), json!(skill.name));
    entry.insert("description".to_owned(), json!(skill.description));
    for (key, value) in &skill.front_matter {
        entry.insert(key.clone(), value.clone());
    }
    let tools: Vec<Value> = skill
        .tools
        .iter()
        .map(|tool| match &tool.source {
            SkillToolSource::Instruction { path } => json!({
                "name": tool.name,
                "description": tool.description,
                "type": "instruction",
                "instruction": path,
            }),
            SkillToolSource::Derived {
                namespace,
                action,
                target,
            } => {
                let mode = match target {
                    SkillTarget::Rest { .. } => "rest",
                    SkillTarget::Mcp { .. } => "mcp",
                };
                let mut reference =
                    json!({"targetNamespace": namespace, "action": action, "mode": mode});
                if let SkillTarget::Rest {
                    adapter,
                    operation: Some(index),
                } = *target
                {
                    let op = &model.rest[adapter].operations[index];
                    reference["method"] = json!(op.method);
                    reference["path"] = json!(op.path);
                }
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "type": "derived",
                    "invocationRef": reference,
                })
            }
        })
        .collect();
    entry.insert("tools".to_owned(), Value::Array(tools));
    Value::Object(entry)
}
