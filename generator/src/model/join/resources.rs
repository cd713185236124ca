//! MCP `resources` and `prompts` of an adapter: each resource bound to its consumed operation
//! (the URI template's variables are its inputs), its steps, or its `file:///` directory; each
//! prompt with its arguments and messages.

use crate::load::capability::model::{McpPrompt, McpResource};
use crate::load::diagnostics::{Code, Diagnostic};
use crate::model::capability::{
    Argument, ConsumedApi, Prompt, PromptArgument, Resource, ResourceSource, ValueSource,
};
use crate::model::join::steps::{self, Owner};
use crate::model::join::{Ctx, exposed, output};

/// The resources of an MCP adapter whose namespace is `namespace`.
pub fn resources(
    ctx: &mut Ctx<'_>,
    consumes: &[ConsumedApi],
    declared: &[McpResource],
    namespace: &str,
    pointer: &str,
) -> Vec<Resource> {
    let mut res = Vec::new();
    for (index, resource) in declared.iter().enumerate() {
        let at = format!("{pointer}/resources/{index}");
        let sources = [
            resource.call.is_some(),
            !resource.steps.is_empty(),
            resource.location.is_some(),
        ];
        if sources.iter().filter(|it| **it).count() != 1 {
            let message = format!(
                "resource `{}` needs exactly one of `call`, `steps` or `location`",
                resource.name
            );
            ctx.report(Diagnostic::error(Code::NoCall, message), at);
            continue;
        }
        let Some(uri) = resource.uri.clone() else {
            let message = format!("resource `{}` has no `uri`", resource.name);
            ctx.report(Diagnostic::error(Code::NoCall, message), at);
            continue;
        };
        let source = if let Some(location) = &resource.location {
            if !location.starts_with("file:///") {
                let message = format!(
                    "`location` of resource `{}` is not a `file:///` URI",
                    resource.name
                );
                ctx.report(
                    Diagnostic::error(Code::UnsupportedConstruct, message),
                    format!("{at}/location"),
                );
                continue;
            }
            ResourceSource::Directory {
                location: location.clone(),
            }
        } else if let Some(call_text) = &resource.call {
            let Some(call) = exposed::resolve_call(ctx, consumes, call_text, &format!("{at}/call"))
            else {
                continue;
            };
            let operation = &consumes[call.api].operations[call.index];
            let mut arguments: Vec<Argument> = resource
                .with
                .iter()
                .map(|(key, value)| Argument {
                    consumed: key.clone(),
                    source: steps::with_source(ctx, value, namespace),
                })
                .collect();
            for input in &operation.inputs {
                if input.fixed.is_none() && !arguments.iter().any(|it| it.consumed == input.name) {
                    arguments.push(Argument {
                        consumed: input.name.clone(),
                        source: ValueSource::Input(input.name.clone()),
                    });
                }
            }
            ResourceSource::Call {
                call,
                arguments,
                output: output::shape(&resource.output_parameters, false),
            }
        } else {
            let owner = Owner {
                pointer: at.clone(),
                namespace,
            };
            let Some(orchestration) = steps::orchestration(
                ctx,
                consumes,
                &owner,
                &resource.steps,
                &resource.mappings,
                &resource.output_parameters,
            ) else {
                continue;
            };
            ResourceSource::Steps { orchestration }
        };
        res.push(Resource {
            name: resource.name.clone(),
            title: resource.label.clone(),
            uri,
            description: resource.description.clone(),
            mime_type: resource.mime_type.clone(),
            source,
            pointer: at,
        });
    }
    res
}

/// The prompts of an MCP adapter.
pub fn prompts(ctx: &mut Ctx<'_>, declared: &[McpPrompt], pointer: &str) -> Vec<Prompt> {
    let mut res: Vec<Prompt> = Vec::new();
    for (index, prompt) in declared.iter().enumerate() {
        let at = format!("{pointer}/prompts/{index}");
        if res.iter().any(|it| it.name == prompt.name) {
            let message = format!("prompt `{}` is declared twice", prompt.name);
            ctx.report(
                Diagnostic::error(Code::DuplicateName, message),
                format!("{at}/name"),
            );
            continue;
        }
        if prompt.location.is_none() && prompt.template.is_empty() {
            let message = format!(
                "prompt `{}` has neither `template` nor `location`",
                prompt.name
            );
            ctx.report(Diagnostic::error(Code::NoCall, message), at);
            continue;
        }
        if let Some(location) = &prompt.location
            && !location.starts_with("file:///")
        {
            let message = format!(
                "`location` of prompt `{}` is not a `file:///` URI",
                prompt.name
            );
            ctx.report(
                Diagnostic::error(Code::UnsupportedConstruct, message),
                format!("{at}/location"),
            );
            continue;
        }
        res.push(Prompt {
            name: prompt.name.clone(),
            title: prompt.label.clone(),
            description: prompt.description.clone(),
            arguments: prompt
                .arguments
                .iter()
                .map(|it| PromptArgument {
                    name: it.name.clone(),
                    title: it.label.clone(),
                    description: it.description.clone(),
                    required: it.required.unwrap_or(true),
                })
                .collect(),
            messages: prompt
                .template
                .iter()
                .map(|it| (it.role.clone(), it.content.clone()))
                .collect(),
            file: prompt.location.clone(),
            pointer: at,
        });
    }
    res
}
