//! `script` steps, as the Naftiko engine runs them: the step's `dependencies` and then its
//! `file` (JavaScript, read from the `location` directory at each run) are evaluated in a
//! global `context` object holding the exposed inputs, the earlier step outputs by step name
//! and the step's `with` values; what the script assigns to `result` is the step output (none
//! when it assigns nothing).
//!
//! The engine runs scripts in a GraalVM sandbox; here each run gets a fresh QuickJS runtime
//! (`rquickjs`, feature `scripts`) with nothing of the host in it (no file, network, process or
//! environment access, no modules) and limits: the step's timeout, its statement limit,
//! 64 MiB of memory and 1 MiB of stack. QuickJS counts work in interrupt checks, one per about
//! 10,000 jumps and calls, so the statement limit is enforced to that granularity. Runs happen
//! on the blocking thread pool, never on the threads serving requests.
//!
//! `management.scripting.enabled: false` makes every script step fail; when the capability
//! does not set it, `NAFTIKO_SCRIPTING=false` in the environment does the same (the engine's
//! switch).

use std::path::PathBuf;

use serde_json::Value;

use crate::support::upstream::ArgSpec;

/// A `script` step.
#[derive(Debug)]
pub struct ScriptSpec {
    /// The scripts directory (`file:///…`; `file:///./x` is relative to the working directory).
    pub location: &'static str,
    /// The main script, relative to `location`.
    pub file: &'static str,
    /// Scripts evaluated before it, in order.
    pub dependencies: &'static [&'static str],
    /// The step's `with` values, added to `context`.
    pub with: &'static [ArgSpec],
    /// Milliseconds a run may take.
    pub timeout_ms: u64,
    /// Statements a run may execute.
    pub statement_limit: u64,
    /// `management.scripting.enabled`, when the capability sets it.
    pub enabled: Option<bool>,
}

/// Memory one run may allocate.
const MEMORY_LIMIT: usize = 64 << 20;
/// Stack one run may use.
const STACK_LIMIT: usize = 1 << 20;
/// Roughly how much work QuickJS does between two interrupt checks (its
/// `JS_INTERRUPT_COUNTER_INIT`).
const STATEMENTS_PER_CHECK: u64 = 10_000;

/// Whether script steps may run.
pub fn permitted(spec: &ScriptSpec) -> Result<(), String> {
    let enabled = spec.enabled.unwrap_or_else(|| {
        std::env::var("NAFTIKO_SCRIPTING").map_or(true, |it| !it.eq_ignore_ascii_case("false"))
    });
    if enabled {
        return Ok(());
    }
    Err(match spec.enabled {
        Some(_) => "scripting is disabled (management.scripting.enabled=false)".to_owned(),
        None => "scripting is disabled (NAFTIKO_SCRIPTING=false)".to_owned(),
    })
}

/// Reads the dependencies, then the main script: `(relative path, source)` in evaluation order.
pub fn sources(spec: &ScriptSpec) -> Result<Vec<(&'static str, String)>, String> {
    let root = crate::support::prompts::location_path(spec.location);
    spec.dependencies
        .iter()
        .chain(std::iter::once(&spec.file))
        .map(|relative| {
            let path = file_under(&root, relative)?;
            let text = std::fs::read_to_string(&path)
                .map_err(|err| format!("cannot read the script `{relative}`: {err}"))?;
            Ok((*relative, text))
        })
        .collect()
}

/// The file `relative` names under `root`, refused when a symbolic link leads outside it (the
/// generator accepted only plain names).
fn file_under(root: &std::path::Path, relative: &str) -> Result<PathBuf, String> {
    let missing = || format!("the script `{relative}` does not exist");
    let base = root.canonicalize().map_err(|_| missing())?;
    let target = base.join(relative).canonicalize().map_err(|_| missing())?;
    if !target.starts_with(&base) {
        return Err(format!(
            "the script `{relative}` leads outside the scripts directory"
        ));
    }
    Ok(target)
}

/// Runs `sources` over `context` (blocking). `Ok(None)` when the script assigns no `result`.
#[cfg(feature = "scripts")]
pub fn run(
    spec: &ScriptSpec,
    sources: &[(&'static str, String)],
    context: &Value,
) -> Result<Option<Value>, String> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU8, Ordering};
    use std::time::{Duration, Instant};

    use rquickjs::context::EvalOptions;

    const RUNNING: u8 = 0;
    const OVER_STATEMENTS: u8 = 1;
    const OVER_TIME: u8 = 2;

    let runtime = rquickjs::Runtime::new().map_err(|err| err.to_string())?;
    runtime.set_memory_limit(MEMORY_LIMIT);
    runtime.set_max_stack_size(STACK_LIMIT);
    let stopped = Arc::new(AtomicU8::new(RUNNING));
    let checks_allowed = spec.statement_limit.div_ceil(STATEMENTS_PER_CHECK).max(1);
    let deadline = Instant::now() + Duration::from_millis(spec.timeout_ms);
    let mut checks = 0_u64;
    let flag = stopped.clone();
    runtime.set_interrupt_handler(Some(Box::new(move || {
        checks += 1;
        let why = if checks > checks_allowed {
            OVER_STATEMENTS
        } else if Instant::now() > deadline {
            OVER_TIME
        } else {
            return false;
        };
        flag.store(why, Ordering::Relaxed);
        true
    })));
    let context_text = context.to_string();
    let js = rquickjs::Context::full(&runtime).map_err(|err| err.to_string())?;
    let outcome = js.with(|ctx| -> Result<Option<String>, String> {
        let explain = |file: &str, err: rquickjs::Error| -> String {
            match err {
                rquickjs::Error::Exception => {
                    let thrown = ctx.catch();
                    match thrown.as_exception() {
                        Some(exception) => {
                            let message = exception.message().unwrap_or_default();
                            let at = exception
                                .stack()
                                .and_then(|it| {
                                    let line = it.lines().next()?.trim().to_owned();
                                    (!line.is_empty()).then_some(line)
                                })
                                .map(|it| format!(" ({it})"))
                                .unwrap_or_default();
                            format!("`{file}`: {message}{at}")
                        }
                        None => format!("`{file}` threw {:?}", thrown),
                    }
                }
                other => format!("`{file}`: {other}"),
            }
        };
        let parsed = ctx
            .json_parse(context_text.clone())
            .map_err(|err| explain("context", err))?;
        ctx.globals()
            .set("context", parsed)
            .map_err(|err| explain("context", err))?;
        for (file, source) in sources {
            let mut options = EvalOptions::default();
            // The engine's scripts assign `result` without declaring it.
            options.strict = false;
            options.filename = Some((*file).to_owned());
            ctx.eval_with_options::<(), _>(source.as_bytes().to_vec(), options)
                .map_err(|err| explain(file, err))?;
        }
        ctx.eval::<Option<String>, _>(
            "typeof result === 'undefined' ? undefined : (JSON.stringify(result) ?? 'null')",
        )
        .map_err(|err| explain("result", err))
    });
    match stopped.load(Ordering::Relaxed) {
        OVER_STATEMENTS => {
            return Err(format!(
                "exceeded the statement limit ({})",
                spec.statement_limit
            ));
        }
        OVER_TIME => {
            return Err(format!(
                "exceeded the timeout limit ({} ms)",
                spec.timeout_ms
            ));
        }
        _ => {}
    }
    match outcome? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|err| format!("`result` is not JSON: {err}")),
    }
}

/// Without the `scripts` feature no script can run.
#[cfg(not(feature = "scripts"))]
pub fn run(
    _spec: &ScriptSpec,
    _sources: &[(&'static str, String)],
    _context: &Value,
) -> Result<Option<Value>, String> {
    Err("this server was built without the `scripts` feature".to_owned())
}

#[cfg(all(test, feature = "scripts"))]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(statement_limit: u64, timeout_ms: u64) -> ScriptSpec {
        ScriptSpec {
            location: "file:///nowhere",
            file: "main.js",
            dependencies: &[],
            with: &[],
            timeout_ms,
            statement_limit,
            enabled: None,
        }
    }

    fn eval(source: &str, context: Value) -> Result<Option<Value>, String> {
        run(
            &spec(100_000, 5_000),
            &[("main.js", source.to_owned())],
            &context,
        )
    }

    #[test]
    fn the_result_is_the_output() {
        let got = eval(
            "result = { greeting: 'hello', count: 42, flag: true };",
            json!({}),
        );
        assert_eq!(
            got,
            Ok(Some(
                json!({"greeting": "hello", "count": 42, "flag": true})
            ))
        );
    }

    #[test]
    fn context_holds_step_outputs_by_name() {
        let members = json!({"list-members": [
            {"login": "alice", "type": "User"}, {"login": "bot", "type": "Bot"}
        ]});
        let got = eval(
            "result = context['list-members'].filter(m => m.type === 'User').map(m => m.login);",
            members,
        );
        assert_eq!(got, Ok(Some(json!(["alice"]))));
    }

    #[test]
    fn no_result_is_no_output_and_null_is_null() {
        assert_eq!(eval("var x = context.a;", json!({"a": 1})), Ok(None));
        assert_eq!(eval("result = null;", json!({})), Ok(Some(Value::Null)));
        assert_eq!(
            eval("result = function () {};", json!({})),
            Ok(Some(Value::Null))
        );
    }

    #[test]
    fn dependencies_run_first() {
        let sources = [
            ("lib.js", "function double(x) { return 2 * x; }".to_owned()),
            ("main.js", "result = double(context.n);".to_owned()),
        ];
        let got = run(&spec(100_000, 5_000), &sources, &json!({"n": 21}));
        assert_eq!(got, Ok(Some(json!(42))));
    }

    #[test]
    fn the_host_is_out_of_reach() {
        for source in [
            "result = java.lang.Runtime.getRuntime();",
            "result = require('fs');",
            "result = process.env;",
            "import('os').then(x => x);",
        ] {
            let err = eval(source, json!({}));
            assert!(err.is_err() || err == Ok(None), "{source}: {err:?}");
        }
        let err = eval("result = java.lang.Runtime;", json!({})).unwrap_err();
        assert!(err.contains("java is not defined"), "{err}");
        assert!(err.contains("main.js"), "{err}");
    }

    #[test]
    fn loops_stop_at_the_statement_limit() {
        let err = run(
            &spec(10, 60_000),
            &[("main.js", "while (true) { var x = 1; }".to_owned())],
            &json!({}),
        )
        .unwrap_err();
        assert_eq!(err, "exceeded the statement limit (10)");
    }

    #[test]
    fn loops_stop_at_the_timeout() {
        let err = run(
            &spec(u64::MAX, 50),
            &[("main.js", "while (true) { var x = 1; }".to_owned())],
            &json!({}),
        )
        .unwrap_err();
        assert_eq!(err, "exceeded the timeout limit (50 ms)");
    }

    #[test]
    fn memory_is_bounded() {
        let err = run(
            &spec(u64::MAX, 60_000),
            &[(
                "main.js",
                "var a = []; while (true) { a.push(new Array(1000).fill('x')); }".to_owned(),
            )],
            &json!({}),
        )
        .unwrap_err();
        assert!(err.contains("out of memory"), "{err}");
    }

    #[test]
    fn scripting_can_be_switched_off() {
        let mut off = spec(1, 1);
        off.enabled = Some(false);
        assert!(permitted(&off).unwrap_err().contains("enabled=false"));
        assert!(permitted(&spec(1, 1)).is_ok());
    }

    #[test]
    fn scripts_are_read_from_their_directory_only() {
        let dir = std::env::temp_dir().join(format!("capgen-scripts-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("main.js"), "result = 1;").unwrap();
        std::fs::write(dir.join("lib/a.js"), "var a = 1;").unwrap();
        let location: &'static str = format!("file://{}", dir.display()).leak();
        let mut at = spec(1, 1);
        at.location = location;
        at.dependencies = &["lib/a.js"];
        let read = sources(&at).unwrap();
        assert_eq!(
            read.iter().map(|it| it.0).collect::<Vec<_>>(),
            ["lib/a.js", "main.js"]
        );
        at.file = "missing.js";
        assert!(sources(&at).unwrap_err().contains("does not exist"));
        #[cfg(unix)]
        {
            let outside = dir.with_extension("outside.js");
            std::fs::write(&outside, "result = 'secret';").unwrap();
            std::os::unix::fs::symlink(&outside, dir.join("link.js")).unwrap();
            at.file = "link.js";
            assert!(sources(&at).unwrap_err().contains("outside"));
            std::fs::remove_file(outside).unwrap();
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
