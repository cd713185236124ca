//! Constructs capgen parses but does not generate code for: control adapters (C201);
//! outbound `oauth2` authentication (C203). Each is a warning at the construct: the rest of the
//! capability is still generated. (`script` steps capgen cannot run are reported where they are
//! bound, `model::join::steps`.)

use std::sync::Arc;

use super::model::{Authentication, Capability, Consumes, Exposes};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// Reports every unsupported construct of the document.
pub fn check(file: &Arc<SourceFile>, capability: &Capability, diags: &mut Diagnostics) {
    let mut out = Out { file, diags };
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
            Exposes::Rest(_) | Exposes::Mcp(_) | Exposes::Skill(_) => {}
            Exposes::Control(_) => {
                out.diags.push(
                    Diagnostic::warning(
                        Code::UnsupportedAdapter,
                        "`control` adapter is not served; capgen reads only its `management.scripting` settings (for script steps)",
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
