//! Constructs capgen parses but does not generate code for: skill and control adapters (C201);
//! `script` steps (C202); outbound `oauth2`
//! authentication (C203). Each is a warning at the construct: the rest of the capability is
//! still generated.

use std::sync::Arc;

use super::model::{Authentication, Capability, Consumes, Exposes, OperationStep};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// Reports every unsupported construct of the document.
pub fn check(file: &Arc<SourceFile>, capability: &Capability, diags: &mut Diagnostics) {
    let mut out = Out { file, diags };
    for (a, aggregate) in capability.aggregates().iter().enumerate() {
        for (f, function) in aggregate.functions.iter().enumerate() {
            let owner = format!("/capability/aggregates/{a}/functions/{f}");
            out.scripts(&owner, &function.steps);
        }
    }
    for (pointer, consumes) in capability.all_consumes() {
        match consumes {
            // Imports are read by `imports::resolve`.
            Consumes::Imported(_) => {}
            Consumes::Http(http) => {
                if let Some(auth) = &http.authentication {
                    out.outbound_auth(
                        &pointer_join(&pointer, "authentication"),
                        auth,
                        &http.namespace,
                    );
                }
            }
        }
    }
    for (index, adapter) in capability.exposes().iter().enumerate() {
        let pointer = Capability::exposes_pointer(index);
        match adapter {
            Exposes::Rest(rest) => {
                for (r, resource) in rest.resources.iter().enumerate() {
                    let resource_pointer = pointer_join(&pointer_join(&pointer, "resources"), r);
                    for (o, operation) in resource.operations.iter().enumerate() {
                        let op_pointer =
                            pointer_join(&pointer_join(&resource_pointer, "operations"), o);
                        out.scripts(&op_pointer, &operation.steps);
                    }
                }
            }
            Exposes::Mcp(mcp) => {
                for (t, tool) in mcp.tools.iter().enumerate() {
                    let tool_pointer = pointer_join(&pointer_join(&pointer, "tools"), t);
                    out.scripts(&tool_pointer, &tool.steps);
                }
                for (r, resource) in mcp.resources.iter().enumerate() {
                    let owner = pointer_join(&pointer_join(&pointer, "resources"), r);
                    out.scripts(&owner, &resource.steps);
                }
            }
            Exposes::Skill(_) | Exposes::Control(_) => {
                let kind = adapter.type_name();
                let name = adapter
                    .namespace()
                    .map(|it| format!(" `{it}`"))
                    .unwrap_or_default();
                out.diags.push(
                    Diagnostic::warning(
                        Code::UnsupportedAdapter,
                        format!(
                            "`{kind}` adapter{name} is parsed but capgen generates nothing for it"
                        ),
                    )
                    .at(out.file, pointer_join(&pointer, "type")),
                );
            }
        }
    }
}

struct Out<'a> {
    file: &'a Arc<SourceFile>,
    diags: &'a mut Diagnostics,
}

impl Out<'_> {
    fn construct(&mut self, pointer: &str, key: bool, message: &str) {
        let diagnostic = Diagnostic::warning(Code::UnsupportedConstruct, message);
        self.diags.push(if key {
            diagnostic.at_key(self.file, pointer)
        } else {
            diagnostic.at(self.file, pointer)
        });
    }

    /// `script` steps are not generated: the item that holds them is left out.
    fn scripts(&mut self, owner: &str, steps: &[OperationStep]) {
        for (index, step) in steps.iter().enumerate() {
            if let OperationStep::Script(script) = step {
                self.construct(
                    &pointer_join(&pointer_join(owner, "steps"), index),
                    false,
                    &format!(
                        "`script` step `{}` is not generated; the operation or tool (and what `ref`s it) is left out",
                        script.name
                    ),
                );
            }
        }
    }

    fn outbound_auth(&mut self, pointer: &str, auth: &Authentication, namespace: &str) {
        let message = match auth {
            Authentication::OAuth2(_) => format!(
                "outbound `oauth2` authentication is not supported (Naftiko defines `oauth2` for \
                 inbound checks only); capgen sends no credentials to `{namespace}`"
            ),
            _ => return,
        };
        self.diags.push(
            Diagnostic::warning(Code::UnsupportedAuth, message)
                .at(self.file, pointer_join(pointer, "type"))
                .with_help("use `basic`, `digest`, `bearer` or `apikey` for upstream calls"),
        );
    }
}
