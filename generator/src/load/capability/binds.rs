//! `binds` and the references to them (C204, C105).
//!
//! Each `binds` entry must have a kebab-case namespace that no other entry uses, and variable
//! names and provider keys capgen can turn into settings. Authentication values may reference
//! variables as `{{KEY}}` or, qualified, `{{namespace.KEY}}` (seed dialect, C105); a reference
//! that names no declared variable is an error. Outbound (consumes) authentication may also
//! reference the consumes entry's own input parameters, which the engine renders from the same
//! map (the `in: environment` pattern). Shared consumer files are not checked: their references
//! resolve against the binds of the capability that imports them.

use std::collections::HashMap;
use std::sync::Arc;

use super::interpret::bind_refs;
use super::model::{Authentication, Binding, Capability, Exposes};
use crate::load::diagnostics::{Code, Diagnostic, Diagnostics, pointer_join};
use crate::load::source::SourceFile;

/// Checks the `binds` entries and every bind reference in authentication values.
pub fn check(file: &Arc<SourceFile>, capability: &Capability, diags: &mut Diagnostics) {
    let binds = capability.all_binds();
    check_declarations(file, &binds, diags);
    if capability.is_shared_consumer() {
        return;
    }
    let scope = Scope::new(&binds);
    for (pointer, consumes) in capability.all_consumes() {
        let Some(http) = consumes.as_http() else {
            continue;
        };
        let Some(auth) = &http.authentication else {
            continue;
        };
        let mut parameters: Vec<&str> = http
            .input_parameters
            .iter()
            .map(|it| it.name.as_str())
            .collect();
        for (_, _, resource, operation) in http.operations() {
            parameters.extend(resource.input_parameters.iter().map(|it| it.name.as_str()));
            parameters.extend(operation.input_parameters.iter().map(|it| it.name.as_str()));
        }
        let auth_pointer = pointer_join(&pointer, "authentication");
        check_auth(file, &scope, &auth_pointer, auth, &parameters, diags);
    }
    for (index, adapter) in capability.exposes().iter().enumerate() {
        let auth = match adapter {
            Exposes::Rest(it) => it.authentication.as_ref(),
            Exposes::Mcp(it) => it.authentication.as_ref(),
            Exposes::Skill(_) | Exposes::Control(_) => None,
        };
        if let Some(auth) = auth {
            let auth_pointer = pointer_join(&Capability::exposes_pointer(index), "authentication");
            check_auth(file, &scope, &auth_pointer, auth, &[], diags);
        }
    }
}

fn check_declarations(
    file: &Arc<SourceFile>,
    binds: &[(String, &Binding)],
    diags: &mut Diagnostics,
) {
    let mut namespaces: HashMap<&str, &str> = HashMap::new();
    let mut variables: HashMap<&str, &str> = HashMap::new();
    for (pointer, bind) in binds {
        let namespace_pointer = pointer_join(pointer, "namespace");
        let namespace = bind.namespace.as_str();
        if !is_kebab(namespace) {
            diags.push(
                Diagnostic::error(
                    Code::UnknownBind,
                    format!("bind namespace `{namespace}` is not a kebab-case identifier"),
                )
                .at(file, &namespace_pointer)
                .with_help("use letters, digits and `-` only, e.g. `registry-env`"),
            );
        } else if let Some(first) = namespaces.insert(namespace, pointer) {
            diags.push(
                Diagnostic::error(
                    Code::UnknownBind,
                    format!("bind namespace `{namespace}` is declared twice (first at `{first}`)"),
                )
                .at(file, &namespace_pointer),
            );
        }
        if let Some(location) = &bind.location
            && !has_uri_scheme(location)
        {
            diags.push(
                Diagnostic::error(
                    Code::UnknownBind,
                    format!("bind location `{location}` is not a URI"),
                )
                .at(file, pointer_join(pointer, "location"))
                .with_help("write it with a scheme, e.g. `file:///./secrets.yaml`"),
            );
        }
        if bind.keys.is_empty() {
            diags.push(
                Diagnostic::warning(
                    Code::UnknownBind,
                    format!("bind namespace `{namespace}` declares no `keys`"),
                )
                .at_key(file, pointer_join(pointer, "keys")),
            );
        }
        let keys_pointer = pointer_join(pointer, "keys");
        for (variable, provider) in &bind.keys {
            let key_pointer = pointer_join(&keys_pointer, variable);
            if !is_identifier(variable) {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownBind,
                        format!("bind variable `{variable}` is not an identifier"),
                    )
                    .at_key(file, &key_pointer)
                    .with_help("variable names are SCREAMING_SNAKE_CASE, e.g. `API_TOKEN`"),
                );
            } else if !is_screaming_snake(variable) {
                diags.push(
                    Diagnostic::warning(
                        Code::UnknownBind,
                        format!("bind variable `{variable}` is not SCREAMING_SNAKE_CASE"),
                    )
                    .at_key(file, &key_pointer),
                );
            }
            if let Some(first) = variables.insert(variable, pointer) {
                diags.push(
                    Diagnostic::warning(
                        Code::UnknownBind,
                        format!(
                            "bind variable `{variable}` is also declared by the binds entry at \
                             `{first}`; unqualified `{{{{{variable}}}}}` is ambiguous"
                        ),
                    )
                    .at_key(file, &key_pointer),
                );
            }
            if provider.trim().is_empty() {
                diags.push(
                    Diagnostic::error(
                        Code::UnknownBind,
                        format!("bind variable `{variable}` has an empty provider key"),
                    )
                    .at(file, &key_pointer),
                );
            } else if !provider
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_*".contains(c))
            {
                diags.push(
                    Diagnostic::warning(
                        Code::UnknownBind,
                        format!(
                            "provider key `{provider}` of bind variable `{variable}` has \
                             characters outside `[a-zA-Z0-9-_*]`"
                        ),
                    )
                    .at(file, &key_pointer),
                );
            }
        }
    }
}

/// The declared bind variables, by namespace.
struct Scope<'a> {
    binds: Vec<&'a Binding>,
}

impl<'a> Scope<'a> {
    fn new(binds: &[(String, &'a Binding)]) -> Scope<'a> {
        Scope {
            binds: binds.iter().map(|(_, it)| *it).collect(),
        }
    }

    fn namespace(&self, name: &str) -> Option<&'a Binding> {
        self.binds.iter().copied().find(|it| it.namespace == name)
    }

    fn has_variable(&self, name: &str) -> bool {
        self.binds.iter().any(|it| it.keys.contains_key(name))
    }

    fn describe(&self) -> String {
        let all: Vec<String> = self
            .binds
            .iter()
            .flat_map(|bind| {
                bind.keys
                    .keys()
                    .map(move |key| format!("`{}.{key}`", bind.namespace))
            })
            .collect();
        if all.is_empty() {
            "the document declares no `binds`".to_owned()
        } else {
            format!("declared: {}", all.join(", "))
        }
    }
}

fn check_auth(
    file: &Arc<SourceFile>,
    scope: &Scope<'_>,
    pointer: &str,
    auth: &Authentication,
    parameters: &[&str],
    diags: &mut Diagnostics,
) {
    for (field, value) in auth.secret_fields() {
        let field_pointer = pointer_join(pointer, field);
        for reference in bind_refs(value) {
            let written = reference.written;
            match reference.namespace {
                Some(namespace) => match scope.namespace(namespace) {
                    Some(bind) if bind.keys.contains_key(reference.key) => diags.push(
                        Diagnostic::warning(
                            Code::QualifiedBindRef,
                            format!(
                                "`{{{{{written}}}}}` is a qualified bind reference, not part of \
                                 the spec; capgen resolves it from the bind namespace \
                                 `{namespace}`, key `{}`",
                                reference.key
                            ),
                        )
                        .at(file, &field_pointer)
                        .with_help(format!(
                            "write `{{{{{}}}}}`: the Naftiko engine does not resolve qualified \
                             names",
                            reference.key
                        )),
                    ),
                    Some(_) => diags.push(
                        Diagnostic::error(
                            Code::UnknownBind,
                            format!(
                                "`{{{{{written}}}}}`: bind namespace `{namespace}` has no key `{}`",
                                reference.key
                            ),
                        )
                        .at(file, &field_pointer)
                        .with_help(scope.describe()),
                    ),
                    None => diags.push(
                        Diagnostic::error(
                            Code::UnknownBind,
                            format!(
                                "`{{{{{written}}}}}` names no bind: no `binds` entry has the \
                                 namespace `{namespace}`"
                            ),
                        )
                        .at(file, &field_pointer)
                        .with_help(scope.describe()),
                    ),
                },
                None if scope.has_variable(reference.key) => {}
                None if parameters.contains(&reference.key) => {}
                None => diags.push(
                    Diagnostic::error(
                        Code::UnknownBind,
                        format!("`{{{{{written}}}}}` names no bind variable"),
                    )
                    .at(file, &field_pointer)
                    .with_help(format!(
                        "declare it under `binds` (e.g. `keys: {{{written}: {written}}}`); {}",
                        scope.describe()
                    )),
                ),
            }
        }
    }
}

fn is_kebab(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn is_identifier(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_screaming_snake(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn has_uri_scheme(text: &str) -> bool {
    match text.split_once("://") {
        Some((scheme, _)) => {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c))
        }
        None => false,
    }
}
