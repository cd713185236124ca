//! Orchestrated `steps`, as the Naftiko engine runs them: `call` steps send a consumed
//! operation (their output is the upstream JSON, projected by that operation's
//! `outputParameters`), `lookup` steps pick entries of an earlier step's output, `script` steps
//! run JavaScript over everything before them (`scripts`), and `mappings`
//! build the answer from the step outputs (`targetName` in dot notation, `value` a JSONPath
//! `$.<step>.<path>`).
//!
//! Every step sees the exposed inputs and the outputs of the steps before it (a step output
//! shadows an input of the same name), so templates read `{{get-ship.name}}`. Steps that read
//! nothing of each other run concurrently (the generator lists what each step reads); the
//! result is the same as running them in order.
//!
//! Where capgen deliberately differs from the alpha2 engine:
//! - `mappings` values are real JSONPath below the step name (`$.step.items[0].id`,
//!   `$.step.items[*].id`), not a dot walk that cannot index arrays (engine issue #746);
//! - a call step whose upstream answers 4xx/5xx, or cannot be reached, stops the orchestration
//!   with an error naming the step (the engine carries on with the error body as output);
//! - step outputs are read in the consumed operation's `outputRawFormat` (the engine reads
//!   only JSON), and lookup outputs are visible to later templates too;
//! - when every mapping resolves to nothing the answer is the mapped object (`{}` or the
//!   declared outputs as `null`), not the last call's body.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::support::mapping;
use crate::support::mustache;
use crate::support::scripts::{self, ScriptSpec};
use crate::support::upstream::{self, ArgSpec, CallError, CallFn, CallFuture, UpstreamResponse};

/// The orchestration of an exposed operation, tool or aggregate function.
pub struct Orchestration<S: 'static> {
    /// The steps, in declaration order.
    pub steps: &'static [StepSpec<S>],
    /// How the answer is built from the step outputs; empty: the last call's answer.
    pub mappings: &'static [Mapping],
    /// The declared (orchestrated) output parameters as JSON text: the answer is shaped by them
    /// (`[]`: the mapped object as it is).
    pub outputs: &'static str,
}

/// One `mappings` entry.
#[derive(Debug)]
pub struct Mapping {
    /// `targetName`: where the value goes (dots make nested objects).
    pub target: &'static str,
    /// `value`: `$.<step name>` and a JSONPath into that step's output.
    pub value: &'static str,
}

/// One step.
pub struct StepSpec<S: 'static> {
    /// The step name: the key of its output.
    pub name: &'static str,
    /// The earlier steps (by index) whose outputs this one reads: it waits for them.
    pub after: &'static [usize],
    /// What it does.
    pub kind: StepKind<S>,
}

/// What a step does.
pub enum StepKind<S: 'static> {
    /// Calls a consumed operation.
    Call {
        /// `<namespace>.<operation>`, for errors.
        operation: &'static str,
        /// The generated call.
        call: CallFn<S>,
        /// The step's `with` values.
        with: &'static [ArgSpec],
        /// The consumed operation's `outputParameters` as JSON text (`[]`: the body as it is).
        outputs: &'static str,
    },
    /// Finds entries of an earlier step's output.
    Lookup {
        /// The step (by index) whose output is searched.
        index: usize,
        /// The field compared in each entry.
        matching: &'static str,
        /// `$.<step>.<path>` (one value or a list of values), or a Mustache template.
        value: &'static str,
        /// The fields copied from a matching entry.
        fields: &'static [&'static str],
    },
    /// Runs a script over the inputs and every earlier step output.
    Script(&'static ScriptSpec),
}

/// An orchestration with its JSON parsed once.
pub struct Compiled<S: 'static> {
    spec: &'static Orchestration<S>,
    step_outputs: Vec<Vec<Value>>,
    outputs: Vec<Value>,
}

impl<S: 'static> Orchestration<S> {
    /// Parses the parameter lists (generated, so they parse).
    pub fn compile(&'static self) -> Compiled<S> {
        let parse = |text: &str| -> Vec<Value> { serde_json::from_str(text).unwrap_or_default() };
        Compiled {
            spec: self,
            step_outputs: self
                .steps
                .iter()
                .map(|step| match &step.kind {
                    StepKind::Call { outputs, .. } => parse(outputs),
                    StepKind::Lookup { .. } | StepKind::Script(_) => Vec::new(),
                })
                .collect(),
            outputs: parse(self.outputs),
        }
    }
}

/// What an orchestration answers.
#[derive(Debug)]
pub enum Outcome {
    /// The mapped (and shaped) answer.
    Mapped(Value),
    /// No mappings: the last call step's upstream answer, as a plain call would answer it.
    Last(UpstreamResponse),
}

/// Why an orchestration stopped.
#[derive(Debug)]
pub struct StepFailure {
    /// The step that failed.
    pub step: &'static str,
    /// The consumed operation it called.
    pub operation: &'static str,
    /// What happened.
    pub kind: FailureKind,
}

/// What went wrong in a step.
#[derive(Debug)]
pub enum FailureKind {
    /// The call could not be made or answered.
    Call(CallError),
    /// The upstream answered with an error status.
    Status(UpstreamResponse),
    /// A script could not be read or failed (why, in words).
    Script(String),
}

/// Runs the orchestration over the exposed `inputs`.
pub async fn run<S: Clone + Send + Sync + 'static>(
    compiled: &Compiled<S>,
    upstream: &S,
    inputs: &Map<String, Value>,
    variables: &BTreeMap<String, String>,
) -> Result<Outcome, StepFailure> {
    let steps = compiled.spec.steps;
    let mut state = State {
        outputs: vec![None; steps.len()],
        finished: vec![false; steps.len()],
        last: None,
        pending: Vec::new(),
    };
    for (index, step) in steps.iter().enumerate() {
        if step.after.iter().any(|it| !state.finished[*it]) {
            state.settle(compiled).await?;
        }
        match &step.kind {
            StepKind::Call { call, with, .. } => {
                let scope = scope(steps, &state.outputs, inputs);
                let args = upstream::arguments(with, &scope, variables, true);
                state.pending.push((index, call(upstream.clone(), args)));
            }
            StepKind::Lookup {
                index: source,
                matching,
                value,
                fields,
            } => {
                let wanted = lookup_values(value, steps, &state.outputs, inputs);
                state.outputs[index] = state.outputs[*source]
                    .as_ref()
                    .and_then(|data| lookup(data, matching, wanted, fields));
                state.finished[index] = true;
            }
            StepKind::Script(script) => {
                // Its `after` lists every earlier step, so their outputs are all in.
                let scope = scope(steps, &state.outputs, inputs);
                let context = upstream::arguments(script.with, &scope, variables, true);
                state.outputs[index] =
                    run_script(script, context)
                        .await
                        .map_err(|message| StepFailure {
                            step: step.name,
                            operation: script.file,
                            kind: FailureKind::Script(message),
                        })?;
                state.finished[index] = true;
            }
        }
    }
    state.settle(compiled).await?;
    if compiled.spec.mappings.is_empty() {
        // A script at the end shaped the answer: it is the answer.
        if let Some(StepKind::Script(_)) = steps.last().map(|it| &it.kind) {
            let output = state.outputs.last_mut().and_then(Option::take);
            return Ok(Outcome::Mapped(output.unwrap_or(Value::Null)));
        }
        return match state.last {
            Some((_, response)) => Ok(Outcome::Last(response)),
            None => Ok(Outcome::Mapped(Value::Object(Map::new()))),
        };
    }
    let mut mapped = Map::new();
    for mapping in compiled.spec.mappings {
        if let Some(value) = resolve(mapping.value, steps, &state.outputs) {
            set_nested(&mut mapped, mapping.target, value);
        }
    }
    Ok(Outcome::Mapped(shape(&compiled.outputs, mapped)))
}

struct State {
    outputs: Vec<Option<Value>>,
    finished: Vec<bool>,
    /// The last call step (by index) and its answer.
    last: Option<(usize, UpstreamResponse)>,
    pending: Vec<(usize, CallFuture)>,
}

impl State {
    /// Waits for every started call; the first failing step in declaration order stops the run.
    async fn settle<S>(&mut self, compiled: &Compiled<S>) -> Result<(), StepFailure> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let (indices, calls): (Vec<usize>, Vec<CallFuture>) = self.pending.drain(..).unzip();
        let answers = futures_util::future::join_all(calls).await;
        for (index, answer) in indices.into_iter().zip(answers) {
            let step = &compiled.spec.steps[index];
            let operation = match &step.kind {
                StepKind::Call { operation, .. } => *operation,
                StepKind::Lookup { .. } | StepKind::Script(_) => "",
            };
            let fail = |kind| StepFailure {
                step: step.name,
                operation,
                kind,
            };
            let response = answer.map_err(|err| fail(FailureKind::Call(err)))?;
            if response.status.is_client_error() || response.status.is_server_error() {
                return Err(fail(FailureKind::Status(response)));
            }
            self.outputs[index] = step_output(&response, &compiled.step_outputs[index]);
            self.finished[index] = true;
            if self.last.as_ref().is_none_or(|(last, _)| *last < index) {
                self.last = Some((index, response));
            }
        }
        Ok(())
    }
}

/// Reads and runs a script on the blocking pool: its output, `None` when it assigns no
/// `result`.
async fn run_script(
    script: &'static ScriptSpec,
    context: Map<String, Value>,
) -> Result<Option<Value>, String> {
    scripts::permitted(script)?;
    tokio::task::spawn_blocking(move || {
        let sources = scripts::sources(script)?;
        scripts::run(script, &sources, &Value::Object(context))
    })
    .await
    .map_err(|_| "the script run was cancelled".to_owned())?
}

/// The exposed inputs, then each finished step's output under its name (later ones shadow).
fn scope<S>(
    steps: &[StepSpec<S>],
    outputs: &[Option<Value>],
    inputs: &Map<String, Value>,
) -> Map<String, Value> {
    let mut res = inputs.clone();
    for (step, output) in steps.iter().zip(outputs) {
        if let Some(output) = output {
            res.insert(step.name.to_owned(), output.clone());
        }
    }
    res
}

/// A call step's output: the answer as JSON, projected by the consumed operation's output
/// parameters. `None` when the answer is empty or cannot be read.
fn step_output(response: &UpstreamResponse, parameters: &[Value]) -> Option<Value> {
    if response.body.is_empty() {
        return None;
    }
    let raw = response.to_json().ok()?;
    Some(project(raw, parameters))
}

/// The engine's projection of a step output: no parameters keep the body; an array keeps each
/// element and adds the named parameters mapped relative to it; anything else becomes an
/// object of the named parameters (or, with none named, the first parameter's value).
fn project(raw: Value, parameters: &[Value]) -> Value {
    if parameters.is_empty() {
        return raw;
    }
    let named: Vec<(&str, &Value)> = parameters
        .iter()
        .filter_map(|it| Some((it.get("name")?.as_str()?, it)))
        .filter(|(name, _)| !name.is_empty())
        .collect();
    let none = Map::new();
    if let Value::Array(elements) = raw {
        return Value::Array(
            elements
                .into_iter()
                .map(|element| {
                    let mut object = match &element {
                        Value::Object(object) => object.clone(),
                        _ => Map::new(),
                    };
                    for (name, parameter) in &named {
                        let value = mapping::project(parameter, &element, &none);
                        object.insert((*name).to_owned(), value);
                    }
                    Value::Object(object)
                })
                .collect(),
        );
    }
    if named.is_empty() {
        return mapping::project(&parameters[0], &raw, &none);
    }
    Value::Object(
        named
            .into_iter()
            .map(|(name, parameter)| (name.to_owned(), mapping::project(parameter, &raw, &none)))
            .collect(),
    )
}

/// `$.<step>.<path>` against the step outputs: the step name runs to the first `.` or `[`,
/// the rest is a JSONPath into its output. `None` when the step has no output or the path
/// selects nothing.
fn resolve<S>(value: &str, steps: &[StepSpec<S>], outputs: &[Option<Value>]) -> Option<Value> {
    let path = value.trim().strip_prefix("$.")?;
    let end = path.find(['.', '[']).unwrap_or(path.len());
    let (name, rest) = path.split_at(end);
    let output = steps
        .iter()
        .zip(outputs)
        .rev()
        .find(|(step, output)| step.name == name && output.is_some())?
        .1
        .as_ref()?;
    if rest.is_empty() {
        return Some(output.clone());
    }
    mapping::select_found(&format!("${rest}"), output)
}

/// The values a lookup searches for, as text: a `$.` reference (a list gives one search per
/// element), or a Mustache template over the inputs and step outputs.
fn lookup_values<S>(
    value: &str,
    steps: &[StepSpec<S>],
    outputs: &[Option<Value>],
    inputs: &Map<String, Value>,
) -> Wanted {
    if value.trim().starts_with("$.") {
        return match resolve(value, steps, outputs) {
            Some(Value::Array(items)) => Wanted::Many(items.iter().map(mustache::text).collect()),
            Some(Value::Null) | None => Wanted::Many(Vec::new()),
            Some(one) => Wanted::One(mustache::text(&one)),
        };
    }
    let scope = scope(steps, outputs, inputs);
    let context = |name: &str| mustache::lookup_dotted(&scope, name).cloned();
    Wanted::One(mustache::render(value, &context))
}

enum Wanted {
    One(String),
    Many(Vec<String>),
}

/// A lookup: the first entry of `data` (a list, or one object) whose `matching` field reads
/// as the wanted text, projected to `fields` (a missing field is `null`). A list of wanted
/// values gives a list of the entries found, in that order.
fn lookup(data: &Value, matching: &str, wanted: Wanted, fields: &[&str]) -> Option<Value> {
    let find = |wanted: &str| -> Option<Value> {
        let matches = |entry: &&Value| entry.get(matching).is_some_and(|it| as_text(it) == wanted);
        let entry = match data {
            Value::Array(entries) => entries.iter().filter(|it| it.is_object()).find(matches)?,
            Value::Object(_) => Some(data).filter(matches)?,
            _ => return None,
        };
        Some(Value::Object(
            fields
                .iter()
                .map(|field| {
                    let value = entry.get(*field).cloned().unwrap_or(Value::Null);
                    ((*field).to_owned(), value)
                })
                .collect(),
        ))
    };
    match wanted {
        Wanted::One(text) => find(&text),
        Wanted::Many(texts) => {
            let found: Vec<Value> = texts.iter().filter_map(|it| find(it)).collect();
            (!found.is_empty()).then_some(Value::Array(found))
        }
    }
}

/// A value as Jackson's `asText` reads it: strings as they are, scalars as JSON text, objects
/// and lists as nothing.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Object(_) | Value::Array(_) => String::new(),
        other => other.to_string(),
    }
}

/// Sets `target` (dots make nested objects) in `object`; a later mapping wins.
fn set_nested(object: &mut Map<String, Value>, target: &str, value: Value) {
    let mut current = object;
    let mut parts = target.split('.').peekable();
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_owned(), value);
            return;
        }
        let slot = current
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(next) = slot else {
            return;
        };
        current = next;
    }
}

/// The mapped object shaped by the declared output parameters: each declared name present
/// (`null` when nothing mapped it), scalars converted to their declared type where that loses
/// nothing (`"42"` for a number), else `null`; mapped names not declared are kept.
fn shape(declared: &[Value], mut mapped: Map<String, Value>) -> Value {
    if declared.is_empty() {
        return Value::Object(mapped);
    }
    let mut res = Map::new();
    for parameter in declared {
        let Some(name) = parameter.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = mapped.remove(name).unwrap_or(Value::Null);
        res.insert(name.to_owned(), coerce(parameter, value));
    }
    res.extend(mapped);
    Value::Object(res)
}

fn coerce(parameter: &Value, value: Value) -> Value {
    let kind = parameter.get("type").and_then(Value::as_str).unwrap_or("");
    match (kind, value) {
        (_, Value::Null) => Value::Null,
        ("string", Value::String(text)) => Value::String(text),
        ("string", value @ (Value::Number(_) | Value::Bool(_))) => Value::String(value.to_string()),
        ("number", Value::Number(number)) => Value::Number(number),
        ("number", Value::String(text)) => text
            .trim()
            .parse::<serde_json::Number>()
            .map(Value::Number)
            .unwrap_or(Value::Null),
        ("integer", Value::Number(number)) if number.is_i64() || number.is_u64() => {
            Value::Number(number)
        }
        ("integer", Value::String(text)) => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or(Value::Null),
        ("boolean", Value::Bool(flag)) => Value::Bool(flag),
        ("boolean", Value::String(text)) => match text.as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::Null,
        },
        ("object", Value::Object(object)) => match parameter.get("properties") {
            Some(Value::Object(properties)) => {
                let declared: Vec<Value> = properties
                    .iter()
                    .map(|(name, property)| {
                        let mut property = property.clone();
                        if let Value::Object(fields) = &mut property {
                            fields.insert("name".to_owned(), Value::String(name.clone()));
                        }
                        property
                    })
                    .collect();
                shape(&declared, object)
            }
            _ => Value::Object(object),
        },
        ("array", Value::Array(items)) => {
            let element = element_parameter(parameter);
            Value::Array(
                items
                    .into_iter()
                    .map(|item| match &element {
                        Some(element) => coerce(element, item),
                        None => item,
                    })
                    .collect(),
            )
        }
        ("object" | "array", _) => Value::Null,
        ("", value) => value,
        _ => Value::Null,
    }
}

/// The parameter of an array's elements: `items` as one parameter, or (orchestrated form) a
/// list of named parameters, the properties of an object element.
fn element_parameter(parameter: &Value) -> Option<Value> {
    match parameter.get("items")? {
        Value::Array(items) if items.iter().all(|it| it.get("name").is_some()) => {
            let properties: Map<String, Value> = items
                .iter()
                .filter_map(|it| Some((it.get("name")?.as_str()?.to_owned(), it.clone())))
                .collect();
            Some(serde_json::json!({"type": "object", "properties": properties}))
        }
        Value::Array(items) => items.first().cloned(),
        one @ Value::Object(_) => Some(one.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_steps() -> &'static [StepSpec<()>] {
        &[]
    }

    #[test]
    fn arrays_keep_their_fields_and_gain_the_projected_ones() {
        // OperationStepExecutorBranchTest.resolveStepOutputShouldAugmentArrayElementsWithProjectedFields
        let raw = json!([
            {"imo_number": "IMO-123", "vessel_name": "Star"},
            {"imo_number": "IMO-456", "vessel_name": "Dawn"}
        ]);
        let parameters =
            [json!({"name": "imo-number", "type": "string", "mapping": "$.imo_number"})];
        assert_eq!(
            project(raw, &parameters),
            json!([
                {"imo_number": "IMO-123", "vessel_name": "Star", "imo-number": "IMO-123"},
                {"imo_number": "IMO-456", "vessel_name": "Dawn", "imo-number": "IMO-456"}
            ])
        );
    }

    #[test]
    fn objects_become_their_named_projections() {
        // OperationStepExecutorBranchTest.privateStepOutputHelpersShouldHandleNamedUnnamedAndNullInputs
        let parameters = [
            json!({"name": "userId", "type": "string", "mapping": "$.id"}),
            json!({"type": "string", "mapping": "$.name"}),
        ];
        let raw = json!({"id": "u-1", "name": "Alice"});
        assert_eq!(project(raw.clone(), &parameters), json!({"userId": "u-1"}));
        assert_eq!(project(raw.clone(), &[]), raw);
        assert_eq!(project(raw, &parameters[1..]), json!("Alice"));
    }

    #[test]
    fn lookups_take_the_first_match_and_project_fields() {
        // LookupExecutorTest
        let users = json!([
            {"email": "alice@example.com", "id": "u-1", "active": true},
            {"email": "bob@example.com", "id": "u-2", "active": false},
            {"email": "bob@example.com", "id": "u-3", "active": true}
        ]);
        let found = lookup(
            &users,
            "email",
            Wanted::One("bob@example.com".into()),
            &["id", "active", "missing"],
        );
        assert_eq!(
            found,
            Some(json!({"id": "u-2", "active": false, "missing": null}))
        );
        assert_eq!(
            lookup(&users, "email", Wanted::One("nobody".into()), &["id"]),
            None
        );
        assert_eq!(
            lookup(&users, "id", Wanted::One("u-1".into()), &[]),
            Some(json!({}))
        );
        let one = json!({"email": "alice@example.com", "name": "Alice"});
        assert_eq!(
            lookup(
                &one,
                "email",
                Wanted::One("alice@example.com".into()),
                &["name"]
            ),
            Some(json!({"name": "Alice"}))
        );
    }

    #[test]
    fn lookups_compare_text_and_search_lists_in_order() {
        let crew = json!([{"id": 42, "n": "a"}, {"id": "7", "n": "b"}]);
        let wanted = Wanted::Many(vec!["7".into(), "missing".into(), "42".into()]);
        assert_eq!(
            lookup(&crew, "id", wanted, &["n"]),
            Some(json!([{"n": "b"}, {"n": "a"}]))
        );
    }

    #[test]
    fn dotted_targets_nest_and_later_mappings_win() {
        // OperationStepExecutorBranchTest.resolveStepMappingsShouldCreateNestedObjectsFromDotNotation
        let mut out = Map::new();
        set_nested(&mut out, "status", json!("planned"));
        set_nested(&mut out, "route.from", json!("Oslo"));
        set_nested(&mut out, "route.to", json!("Singapore"));
        set_nested(&mut out, "status.code", json!(1));
        assert_eq!(
            Value::Object(out),
            json!({"status": {"code": 1}, "route": {"from": "Oslo", "to": "Singapore"}})
        );
    }

    #[test]
    fn step_references_are_real_jsonpath() {
        let steps: &[StepSpec<()>] = &[StepSpec {
            name: "get-ship",
            after: &[],
            kind: StepKind::Lookup {
                index: 0,
                matching: "",
                value: "",
                fields: &[],
            },
        }];
        let outputs = vec![Some(json!({"records": [{"id": 1}, {"id": 2}], "n": null}))];
        assert_eq!(
            resolve("$.get-ship.records[0].id", steps, &outputs),
            Some(json!(1))
        );
        assert_eq!(
            resolve("$.get-ship.records[*].id", steps, &outputs),
            Some(json!([1, 2]))
        );
        assert_eq!(resolve("$.get-ship.n", steps, &outputs), Some(Value::Null));
        assert_eq!(resolve("$.get-ship.absent", steps, &outputs), None);
        assert_eq!(resolve("$.other.x", steps, &outputs), None);
        assert_eq!(resolve("literal", no_steps(), &[]), None);
        assert!(resolve("$.get-ship", steps, &outputs).is_some_and(|it| it.is_object()));
    }

    #[test]
    fn declared_outputs_shape_the_answer() {
        let declared = [
            json!({"name": "imo", "type": "string"}),
            json!({"name": "yearBuilt", "type": "number"}),
            json!({"name": "active", "type": "boolean"}),
            json!({"name": "crew", "type": "array", "items": [
                {"name": "fullName", "type": "string"},
                {"name": "role", "type": "string"}
            ]}),
            json!({"name": "absent", "type": "string"}),
        ];
        let Value::Object(mapped) = json!({
            "imo": "IMO-1", "yearBuilt": "2015", "active": "maybe",
            "crew": [{"fullName": "A", "role": 3, "extra": true}], "other": 1
        }) else {
            unreachable!()
        };
        assert_eq!(
            shape(&declared, mapped),
            json!({
                "imo": "IMO-1", "yearBuilt": 2015, "active": null,
                "crew": [{"fullName": "A", "role": "3", "extra": true}],
                "absent": null, "other": 1
            })
        );
    }
}
