//! Text templates (minijinja) for the non-Rust files of generated crates: `Cargo.toml`,
//! `README.md`, and the like. Templates live in the repository's `templates/` directory and are
//! compiled into capgen with `include_str!` by the emitter that uses them.
//!
//! Templates get a precomputed view model (names and values already decided) and are rendered
//! strictly: an undefined variable is an error, never an empty string.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value};
use serde::Serialize;

/// Renders the template `source` (named `name` in error messages) with `context`.
pub fn render(name: &str, source: &str, context: impl Serialize) -> Result<String, String> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|err| format!("internal error: template syntax: {err}"))?;
    env.set_syntax(syntax);
    env.add_template(name, source)
        .map_err(|err| format!("internal error: template {name}: {err}"))?;
    let template = env
        .get_template(name)
        .map_err(|err| format!("internal error: template {name}: {err}"))?;
    template
        .render(Value::from(Serde(context)))
        .map_err(|err| format!("internal error: rendering {name}: {err:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undefined_variables_are_errors() {
        let err = render("t", "{{ missing }}", serde_json::json!({})).expect_err("strict");
        assert!(err.contains("t"), "{err}");
    }

    #[test]
    fn renders_with_context() {
        let text = render(
            "t",
            "name = \"{{ name }}\"\n",
            serde_json::json!({"name": "x"}),
        )
        .expect("renders");
        assert_eq!(text, "name = \"x\"\n");
    }
}
