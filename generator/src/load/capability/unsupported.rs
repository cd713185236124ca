//! Constructs capgen parses but does not generate code for: outbound `oauth2` authentication
//! (C203); the parts of a control adapter capgen does not serve are reported where it is bound
//! (`model::join::control`). Each is a warning at the construct: the rest of the
//! capability is still generated. (`script` steps capgen cannot run are reported where they are
//! bound, `model::join::steps`.)

use std::sync::Arc;

use super::model::{Authentication, Capability, Consumes};
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
