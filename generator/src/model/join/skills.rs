//! `exposes: skill` adapters: each skill's front matter, its tools bound to the sibling REST
//! operations and MCP tools they derive from (or to instruction files), and the files of its
//! `location` directory, read now so the generated skill directory is complete.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::load::capability::model::{ExposedSkill, ExposesSkill};
use crate::load::capability::skill_files::{self, is_plain_name};
use crate::load::diagnostics::{Code, Diagnostic};
use crate::model::capability::{
    McpAdapter, RestAdapter, Skill, SkillAdapter, SkillFile, SkillTarget, SkillTool,
    SkillToolSource,
};
use crate::model::join::{Ctx, auth};

/// Binds a skill adapter against the capability's REST and MCP adapters.
pub fn skill_adapter(
    ctx: &mut Ctx<'_>,
    adapter: &ExposesSkill,
    rest: &[RestAdapter],
    mcp: &[McpAdapter],
    pointer: &str,
) -> SkillAdapter {
    let inbound_auth = adapter
        .authentication
        .as_ref()
        .and_then(|it| auth(ctx, it, &format!("{pointer}/authentication"), true));
    let mut names = BTreeSet::new();
    let mut skills = Vec::new();
    for (index, skill) in adapter.skills.iter().enumerate() {
        let skill_pointer = format!("{pointer}/skills/{index}");
        if !is_skill_name(&skill.name) {
            let message = format!(
                "skill name `{}` is not a kebab-case identifier (letters, digits and `-`, at most 64): it names the skill's directory",
                skill.name
            );
            ctx.report(
                Diagnostic::error(Code::SkillTool, message),
                format!("{skill_pointer}/name"),
            );
            continue;
        }
        if !names.insert(skill.name.clone()) {
            let message = format!("two skills are named `{}`", skill.name);
            ctx.report(
                Diagnostic::error(Code::DuplicateName, message),
                format!("{skill_pointer}/name"),
            );
            continue;
        }
        skills.push(bind_skill(ctx, skill, rest, mcp, &skill_pointer));
    }
    SkillAdapter {
        namespace: adapter.namespace.clone(),
        address: adapter.address.clone(),
        port: adapter.port,
        description: adapter.description.clone(),
        inbound_auth,
        skills,
        pointer: pointer.to_owned(),
    }
}

fn bind_skill(
    ctx: &mut Ctx<'_>,
    skill: &ExposedSkill,
    rest: &[RestAdapter],
    mcp: &[McpAdapter],
    pointer: &str,
) -> Skill {
    let mut front_matter: Vec<(String, Value)> = Vec::new();
    let mut text = |key: &str, value: &Option<String>| {
        if let Some(value) = value {
            front_matter.push((key.to_owned(), Value::String(value.clone())));
        }
    };
    text("license", &skill.license);
    text("compatibility", &skill.compatibility);
    text("allowed-tools", &skill.allowed_tools);
    text("argument-hint", &skill.argument_hint);
    for (key, value) in [
        ("user-invocable", skill.user_invocable),
        ("disable-model-invocation", skill.disable_model_invocation),
    ] {
        if let Some(value) = value {
            front_matter.push((key.to_owned(), Value::Bool(value)));
        }
    }
    if !skill.metadata.is_empty() {
        let metadata = skill
            .metadata
            .iter()
            .map(|(key, value)| (key.clone(), Value::String(value.clone())))
            .collect();
        front_matter.push(("metadata".to_owned(), Value::Object(metadata)));
    }
    let directory = skill.location.as_deref().and_then(|location| {
        if !location.starts_with("file:///./") {
            // What another machine's disk holds must not change the output.
            let message = format!(
                "the location `{location}` of skill `{}` is not read: only `file:///./…` locations (relative to the capability file) are part of the generated skill",
                skill.name
            );
            ctx.report(
                Diagnostic::warning(Code::SkillTool, message).with_help(
                    "move the skill's files beside the capability and write `file:///./<dir>`",
                ),
                format!("{pointer}/location"),
            );
            return None;
        }
        let read = skill_files::read(ctx.file.path(), location);
        if read.is_none() {
            let message = format!(
                "the location `{location}` of skill `{}` is not a directory here; its files (instructions among them) are not part of the generated skill",
                skill.name
            );
            ctx.report(
                Diagnostic::warning(Code::SkillTool, message).with_help(
                    "`file:///./x` is read relative to the capability file when capgen runs",
                ),
                format!("{pointer}/location"),
            );
        }
        read
    });
    if let Some(directory) = &directory {
        for (path, why) in &directory.skipped {
            let message = format!("`{path}` of skill `{}` is left out: {why}", skill.name);
            ctx.report(
                Diagnostic::warning(Code::SkillTool, message),
                format!("{pointer}/location"),
            );
        }
    }
    let located = directory.is_some();
    let files: Vec<SkillFile> = directory
        .map(|it| it.files)
        .unwrap_or_default()
        .into_iter()
        // capgen writes SKILL.md from the capability.
        .filter(|(path, _)| path != "SKILL.md")
        .map(|(path, contents)| SkillFile { path, contents })
        .collect();
    let mut tools = Vec::new();
    for (index, tool) in skill.tools.iter().enumerate() {
        let tool_pointer = format!("{pointer}/tools/{index}");
        let source = match (&tool.from, &tool.instruction) {
            (Some(from), None) => {
                let Some(target) = target(
                    ctx,
                    rest,
                    mcp,
                    &from.source_namespace,
                    &from.action,
                    &tool_pointer,
                ) else {
                    continue;
                };
                SkillToolSource::Derived {
                    namespace: from.source_namespace.clone(),
                    action: from.action.clone(),
                    target,
                }
            }
            (None, Some(path)) => {
                let at = format!("{tool_pointer}/instruction");
                if skill.location.is_none() {
                    let message = format!(
                        "skill tool `{}` reads the instruction `{path}`, but skill `{}` has no `location`",
                        tool.name, skill.name
                    );
                    ctx.report(Diagnostic::error(Code::SkillTool, message), at);
                    continue;
                }
                if !path.split('/').all(is_plain_name) {
                    let message = format!(
                        "instruction path `{path}` is not a relative path of plain names (`[A-Za-z0-9._-]+` separated by `/`)"
                    );
                    ctx.report(Diagnostic::error(Code::SkillTool, message), at);
                    continue;
                }
                if located && !files.iter().any(|it| it.path == *path) {
                    let message = format!(
                        "the instruction `{path}` of skill tool `{}` is not in the skill's directory",
                        tool.name
                    );
                    ctx.report(Diagnostic::warning(Code::SkillTool, message), at);
                }
                SkillToolSource::Instruction { path: path.clone() }
            }
            _ => {
                let message = format!(
                    "skill tool `{}` needs exactly one of `from` (a sibling adapter's operation or tool) and `instruction` (a file)",
                    tool.name
                );
                ctx.report(Diagnostic::error(Code::SkillTool, message), tool_pointer);
                continue;
            }
        };
        tools.push(SkillTool {
            name: tool.name.clone(),
            description: tool.description.clone(),
            source,
        });
    }
    Skill {
        name: skill.name.clone(),
        description: skill.description.clone(),
        front_matter,
        tools,
        files,
    }
}

/// The sibling operation or tool `namespace.action` names; an unknown namespace is an error (the
/// engine refuses to start), an unknown action a warning.
fn target(
    ctx: &mut Ctx<'_>,
    rest: &[RestAdapter],
    mcp: &[McpAdapter],
    namespace: &str,
    action: &str,
    pointer: &str,
) -> Option<SkillTarget> {
    let found = if let Some(adapter) = rest.iter().position(|it| it.namespace == namespace) {
        let operation = rest[adapter]
            .operations
            .iter()
            .position(|it| it.name == action);
        (
            SkillTarget::Rest { adapter, operation },
            operation.is_some(),
        )
    } else if let Some(adapter) = mcp.iter().position(|it| it.namespace == namespace) {
        let tool = mcp[adapter].tools.iter().position(|it| it.name == action);
        (SkillTarget::Mcp { adapter, tool }, tool.is_some())
    } else {
        let known: Vec<&str> = rest
            .iter()
            .map(|it| it.namespace.as_str())
            .chain(mcp.iter().map(|it| it.namespace.as_str()))
            .collect();
        let message = format!("`from` names `{namespace}`, which is no REST or MCP adapter here");
        ctx.report(
            Diagnostic::error(Code::SkillTool, message)
                .with_help(format!("adapters: {}", known.join(", "))),
            format!("{pointer}/from/sourceNamespace"),
        );
        return None;
    };
    let (target, exists) = found;
    if !exists {
        let message = format!(
            "`{namespace}` has no operation or tool named `{action}`; the skill lists it without how to call it"
        );
        ctx.report(
            Diagnostic::warning(Code::SkillTool, message),
            format!("{pointer}/from/action"),
        );
    }
    Some(target)
}

/// The Agent Skills `name` rule: 1 to 64 characters, letters, digits and `-`.
fn is_skill_name(name: &str) -> bool {
    (1..=64).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}
