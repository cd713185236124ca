//! The in-memory state: orchestration instances with their built-in
//! behaviours, and entities.
//!
//! Time-based behaviour is computed lazily: every read or write first calls
//! [`Instance::advance`] with the current time, which applies every
//! transition whose deadline has passed, stamping it with the deadline (not
//! with the time it was observed). A suspended instance does not advance; its
//! pending deadline is shifted by the time it spent suspended.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::Timing;
use crate::timefmt::format_ticks;

/// `OrchestrationRuntimeStatus` (names and numeric values as in .NET).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RuntimeStatus {
    Running,
    Completed,
    ContinuedAsNew,
    Failed,
    Canceled,
    Terminated,
    Pending,
    Suspended,
}

impl RuntimeStatus {
    const ALL: [RuntimeStatus; 8] = [
        RuntimeStatus::Running,
        RuntimeStatus::Completed,
        RuntimeStatus::ContinuedAsNew,
        RuntimeStatus::Failed,
        RuntimeStatus::Canceled,
        RuntimeStatus::Terminated,
        RuntimeStatus::Pending,
        RuntimeStatus::Suspended,
    ];

    pub(crate) fn name(self) -> &'static str {
        match self {
            RuntimeStatus::Running => "Running",
            RuntimeStatus::Completed => "Completed",
            RuntimeStatus::ContinuedAsNew => "ContinuedAsNew",
            RuntimeStatus::Failed => "Failed",
            RuntimeStatus::Canceled => "Canceled",
            RuntimeStatus::Terminated => "Terminated",
            RuntimeStatus::Pending => "Pending",
            RuntimeStatus::Suspended => "Suspended",
        }
    }

    pub(crate) fn code(self) -> i64 {
        match self {
            RuntimeStatus::Running => 0,
            RuntimeStatus::Completed => 1,
            RuntimeStatus::ContinuedAsNew => 2,
            RuntimeStatus::Failed => 3,
            RuntimeStatus::Canceled => 4,
            RuntimeStatus::Terminated => 5,
            RuntimeStatus::Pending => 6,
            RuntimeStatus::Suspended => 7,
        }
    }

    /// `IsCompletedStatus` of the handler: Completed, Terminated, Canceled, Failed.
    pub(crate) fn is_terminal(self) -> bool {
        matches!(
            self,
            RuntimeStatus::Completed
                | RuntimeStatus::Terminated
                | RuntimeStatus::Canceled
                | RuntimeStatus::Failed
        )
    }

    /// The statuses that block a new start with the same id
    /// (`OverridableExistingInstanceStates = NonRunningStates`).
    pub(crate) fn blocks_start(self) -> bool {
        matches!(
            self,
            RuntimeStatus::Running
                | RuntimeStatus::ContinuedAsNew
                | RuntimeStatus::Pending
                | RuntimeStatus::Suspended
        )
    }
}

/// Parses `runtimeStatus` filter values like `Enum.TryParse` (case-sensitive
/// names or integers, surrounding white space ignored; undefined integers are
/// kept and simply match nothing). Items that do not parse are dropped;
/// `None` when no item parsed ("no filter at all").
pub(crate) fn parse_status_filter(values: &[&str]) -> Option<Vec<i64>> {
    let mut codes = Vec::new();
    for item in values.iter().flat_map(|value| value.split(',')) {
        let item = item.trim();
        if let Some(status) = RuntimeStatus::ALL.iter().find(|s| s.name() == item) {
            codes.push(status.code());
        } else if let Some(code) = crate::query::parse_dotnet_int(item) {
            codes.push(i64::from(code));
        }
    }
    (!codes.is_empty()).then_some(codes)
}

/// The built-in orchestrator functions, matched case-insensitively.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    Echo,
    WaitForEvent,
    Fail,
    Sleep,
    ContinueAsNew,
}

impl Builtin {
    pub(crate) const NAMES: [&'static str; 5] =
        ["Echo", "WaitForEvent", "Fail", "Sleep", "ContinueAsNew"];

    pub(crate) fn lookup(name: &str) -> Option<Builtin> {
        [
            Builtin::Echo,
            Builtin::WaitForEvent,
            Builtin::Fail,
            Builtin::Sleep,
            Builtin::ContinueAsNew,
        ]
        .into_iter()
        .zip(Self::NAMES)
        .find(|(_, known)| known.eq_ignore_ascii_case(name))
        .map(|(builtin, _)| builtin)
    }
}

/// The built-in entity functions (entity names are lower-cased).
pub(crate) const ENTITY_NAMES: [&str; 2] = ["counter", "store"];

/// One recorded history event, rendered on demand for `showHistory=true`.
#[derive(Debug, Clone)]
struct HistoryEvent {
    event_type: &'static str,
    at: OffsetDateTime,
    fields: Vec<(&'static str, Value)>,
    input: Option<Value>,
    result: Option<Value>,
}

impl HistoryEvent {
    fn new(event_type: &'static str, at: OffsetDateTime) -> Self {
        HistoryEvent {
            event_type,
            at,
            fields: Vec::new(),
            input: None,
            result: None,
        }
    }

    fn field(mut self, name: &'static str, value: Value) -> Self {
        self.fields.push((name, value));
        self
    }

    fn render(&self, show_input: bool, show_output: bool) -> Value {
        let mut map = Map::new();
        map.insert("EventType".into(), Value::String(self.event_type.into()));
        for (name, value) in &self.fields {
            map.insert((*name).into(), value.clone());
        }
        if show_input && let Some(input) = &self.input {
            map.insert("Input".into(), input.clone());
        }
        if show_output && let Some(result) = &self.result {
            map.insert("Result".into(), result.clone());
        }
        map.insert("Timestamp".into(), Value::String(format_ticks(self.at)));
        Value::Object(map)
    }
}

/// What happens when a running step's deadline passes.
#[derive(Debug, Clone)]
enum Step {
    /// Complete with this output.
    Complete(Value),
    /// Fail with this output (the error message text).
    Fail(String),
    /// One `ContinueAsNew` execution (0-based index) finishes.
    Iteration(u32),
    /// Wait for an external event with this name; the deadline (if any) is
    /// a timeout that fails the orchestration.
    WaitEvent(String),
    /// A durable timer fires, then the orchestration completes with this output.
    Timer(Value),
}

#[derive(Debug, Clone)]
enum Phase {
    Pending {
        until: OffsetDateTime,
    },
    Running {
        until: Option<OffsetDateTime>,
        step: Step,
    },
    ContinuedAsNew {
        until: OffsetDateTime,
        next: u32,
    },
    Done,
}

#[derive(Debug, Clone)]
struct RaisedEvent {
    name: String,
    data: Value,
    at: OffsetDateTime,
}

/// The parameters of a built-in orchestrator, read from its input.
#[derive(Debug, Clone)]
enum Program {
    Builtin(Builtin),
    /// An orchestrator name the fake does not know (new profile only).
    Missing,
}

/// One orchestration instance.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    pub(crate) seq: u64,
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) input: Value,
    pub(crate) custom_status: Value,
    pub(crate) output: Value,
    pub(crate) created: OffsetDateTime,
    pub(crate) last_updated: OffsetDateTime,
    status: RuntimeStatus,
    program: Program,
    phase: Phase,
    suspended_at: Option<OffsetDateTime>,
    inbox: Vec<RaisedEvent>,
    history: Vec<HistoryEvent>,
    timing: Timing,
}

/// The error text a Failed `Missing` instance reports.
pub(crate) fn missing_function_message(name: &str) -> String {
    format!(
        "The function '{name}' doesn't exist, is disabled, or is not an orchestrator function. \
         Additional info: The following are the known orchestrator functions: {}.",
        known_list(&Builtin::NAMES)
    )
}

pub(crate) fn known_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|name| format!("'{name}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ParseToJToken` for texts such as a termination reason: valid JSON is
/// kept as JSON, any other text becomes a JSON string, `None` is `null`.
pub(crate) fn parse_to_jtoken(text: Option<&str>) -> Value {
    match text {
        None => Value::Null,
        Some(text) => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
        }
    }
}

/// The object form of an input: the object itself, or a JSON string that
/// holds an object (Python v1 clients double-encode their input).
fn input_params(input: &Value) -> Map<String, Value> {
    match input {
        Value::Object(map) => map.clone(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        },
        _ => Map::new(),
    }
}

fn param_f64(params: &Map<String, Value>, name: &str) -> Option<f64> {
    let value = params.get(name)?;
    let number = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// Seconds (scaled) as a `Duration`, clamped to `[0, 10 years]`.
fn scaled_seconds(seconds: f64, scale: f64) -> Duration {
    let value = seconds * scale;
    if !value.is_finite() || value <= 0.0 {
        return Duration::ZERO;
    }
    Duration::from_secs_f64(value.min(315_360_000.0))
}

/// `at + duration`; a duration too large to represent saturates at about a
/// century from `at` instead of panicking.
pub(crate) fn add(at: OffsetDateTime, duration: Duration) -> OffsetDateTime {
    time::Duration::try_from(duration)
        .ok()
        .and_then(|d| at.checked_add(d))
        .or_else(|| at.checked_add(time::Duration::days(36_500)))
        .unwrap_or(at)
}

fn since(later: OffsetDateTime, earlier: OffsetDateTime) -> Duration {
    Duration::try_from(later - earlier).unwrap_or(Duration::ZERO)
}

/// Outcome of a suspend/resume request on a non-terminal instance.
pub(crate) enum ToggleError {
    AlreadySuspended,
    NotSuspended(RuntimeStatus),
}

impl Instance {
    /// A freshly started instance (Pending for `timing.pending`).
    pub(crate) fn start(
        seq: u64,
        id: String,
        name: String,
        input: Value,
        builtin: Option<Builtin>,
        timing: Timing,
        now: OffsetDateTime,
    ) -> Self {
        let program = match builtin {
            Some(builtin) => Program::Builtin(builtin),
            None => Program::Missing,
        };
        let mut instance = Instance {
            seq,
            id,
            name,
            input,
            custom_status: Value::Null,
            output: Value::Null,
            created: now,
            last_updated: now,
            status: RuntimeStatus::Pending,
            program,
            phase: Phase::Pending {
                until: add(now, timing.pending),
            },
            suspended_at: None,
            inbox: Vec::new(),
            history: Vec::new(),
            timing,
        };
        instance.advance(now);
        instance
    }

    pub(crate) fn status(&self) -> RuntimeStatus {
        self.status
    }

    /// Applies every transition due at `now`.
    pub(crate) fn advance(&mut self, now: OffsetDateTime) {
        if self.suspended_at.is_some() {
            return;
        }
        // Each iteration either moves to a later phase or stops; a
        // ContinueAsNew program has a bounded number of iterations, so this
        // terminates. The guard is belt and braces.
        for _ in 0..100_000 {
            match self.phase.clone() {
                Phase::Pending { until } if until <= now => self.begin_execution(until, 0),
                Phase::Running { until, step } => {
                    if let Step::WaitEvent(name) = &step
                        && let Some(index) = self.inbox.iter().position(|event| {
                            event.name.eq_ignore_ascii_case(name)
                                && until.is_none_or(|deadline| event.at <= deadline)
                        })
                    {
                        let event = self.inbox.remove(index);
                        let at = event.at.max(self.last_updated);
                        self.finish(at, RuntimeStatus::Completed, event.data);
                        continue;
                    }
                    match until {
                        Some(deadline) if deadline <= now => self.step_due(deadline, step),
                        _ => break,
                    }
                }
                Phase::ContinuedAsNew { until, next } if until <= now => {
                    self.begin_execution(until, next)
                }
                _ => break,
            }
        }
    }

    /// Starts execution number `iteration` at `at` (after Pending, or after
    /// a ContinueAsNew gap).
    fn begin_execution(&mut self, at: OffsetDateTime, iteration: u32) {
        let mut started = HistoryEvent::new("ExecutionStarted", at)
            .field("FunctionName", Value::String(self.name.clone()));
        started.input = Some(self.input.clone());
        if iteration == 0 {
            // Events raised while Pending stay in the history after the start.
            self.history.insert(0, started);
        } else {
            // History covers the current execution only.
            self.history.clear();
            self.history.push(started);
        }
        self.status = RuntimeStatus::Running;
        self.last_updated = at;
        let params = input_params(&self.input);
        let scale = self.timing.time_scale;
        let (until, step) = match &self.program {
            Program::Missing => (Some(at), Step::Fail(missing_function_message(&self.name))),
            Program::Builtin(Builtin::Echo) => (
                Some(add(at, self.timing.run)),
                Step::Complete(self.input.clone()),
            ),
            Program::Builtin(Builtin::Fail) => {
                let message = params
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("Simulated failure requested by the Fail orchestrator.")
                    .to_string();
                let run = param_f64(&params, "seconds")
                    .map_or(self.timing.run, |seconds| scaled_seconds(seconds, scale));
                (
                    Some(add(at, run)),
                    Step::Fail(format!(
                        "Orchestrator function '{}' failed: {message}",
                        self.name
                    )),
                )
            }
            Program::Builtin(Builtin::Sleep) => {
                let seconds = param_f64(&params, "seconds").unwrap_or(1.0);
                let fire_at = add(at, scaled_seconds(seconds, scale));
                self.history.push(
                    HistoryEvent::new("TimerCreated", at)
                        .field("FireAt", Value::String(format_ticks(fire_at))),
                );
                (Some(fire_at), Step::Timer(self.input.clone()))
            }
            Program::Builtin(Builtin::WaitForEvent) => {
                let name = params
                    .get("eventName")
                    .and_then(Value::as_str)
                    .filter(|name| !name.is_empty())
                    .unwrap_or("Approval")
                    .to_string();
                let deadline = param_f64(&params, "timeoutSeconds")
                    .map(|seconds| add(at, scaled_seconds(seconds, scale)));
                (deadline, Step::WaitEvent(name))
            }
            Program::Builtin(Builtin::ContinueAsNew) => {
                let seconds = param_f64(&params, "seconds").unwrap_or(1.0);
                self.custom_status = Value::from(iteration);
                (
                    Some(add(at, scaled_seconds(seconds, scale))),
                    Step::Iteration(iteration),
                )
            }
        };
        self.phase = Phase::Running { until, step };
    }

    fn step_due(&mut self, at: OffsetDateTime, step: Step) {
        match step {
            Step::Complete(output) => self.finish(at, RuntimeStatus::Completed, output),
            Step::Timer(output) => {
                self.history.push(HistoryEvent::new("TimerFired", at));
                self.finish(at, RuntimeStatus::Completed, output)
            }
            Step::Fail(message) => self.finish(at, RuntimeStatus::Failed, Value::String(message)),
            Step::WaitEvent(name) => self.finish(
                at,
                RuntimeStatus::Failed,
                Value::String(format!(
                    "Orchestrator function '{}' failed: Timeout value of the wait for external event '{name}' has elapsed.",
                    self.name
                )),
            ),
            Step::Iteration(index) => {
                let params = input_params(&self.input);
                let iterations = param_f64(&params, "iterations")
                    .map(|n| n.clamp(1.0, 1_000.0) as u32)
                    .unwrap_or(3);
                let done = index.saturating_add(1);
                self.custom_status = Value::from(done);
                if done >= iterations {
                    self.finish(at, RuntimeStatus::Completed, Value::from(done));
                } else {
                    let seconds = param_f64(&params, "seconds").unwrap_or(1.0);
                    self.history.push(HistoryEvent::new("ContinueAsNew", at));
                    self.status = RuntimeStatus::ContinuedAsNew;
                    self.last_updated = at;
                    self.phase = Phase::ContinuedAsNew {
                        until: add(at, scaled_seconds(seconds, self.timing.time_scale)),
                        next: done,
                    };
                }
            }
        }
    }

    fn finish(&mut self, at: OffsetDateTime, status: RuntimeStatus, output: Value) {
        let mut completed = HistoryEvent::new("ExecutionCompleted", at)
            .field("OrchestrationStatus", Value::String(status.name().into()));
        completed.result = Some(output.clone());
        self.history.push(completed);
        self.status = status;
        self.output = output;
        self.last_updated = at;
        self.phase = Phase::Done;
        self.suspended_at = None;
    }

    /// Records an external event (any non-terminal status accepts events;
    /// Pending and Suspended instances buffer them).
    pub(crate) fn raise_event(&mut self, name: String, data: Value, now: OffsetDateTime) {
        let mut raised =
            HistoryEvent::new("EventRaised", now).field("Name", Value::String(name.clone()));
        raised.input = Some(data.clone());
        self.history.push(raised);
        self.inbox.push(RaisedEvent {
            name,
            data,
            at: now,
        });
        self.advance(now);
    }

    pub(crate) fn terminate(&mut self, reason: Option<&str>, now: OffsetDateTime) {
        let mut terminated = HistoryEvent::new("ExecutionTerminated", now);
        terminated.input = Some(reason.map_or(Value::Null, |r| Value::String(r.into())));
        self.history.push(terminated);
        self.finish(now, RuntimeStatus::Terminated, parse_to_jtoken(reason));
    }

    pub(crate) fn suspend(
        &mut self,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), ToggleError> {
        if self.suspended_at.is_some() {
            return Err(ToggleError::AlreadySuspended);
        }
        self.history
            .push(HistoryEvent::new("ExecutionSuspended", now).field(
                "Reason",
                reason.map_or(Value::Null, |r| Value::String(r.into())),
            ));
        self.suspended_at = Some(now);
        self.status = RuntimeStatus::Suspended;
        self.last_updated = now;
        Ok(())
    }

    pub(crate) fn resume(
        &mut self,
        reason: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<(), ToggleError> {
        let Some(suspended_at) = self.suspended_at else {
            return Err(ToggleError::NotSuspended(self.status));
        };
        let paused = since(now, suspended_at);
        self.phase = match self.phase.clone() {
            Phase::Pending { until } => Phase::Pending {
                until: add(until, paused),
            },
            Phase::Running { until, step } => Phase::Running {
                until: until.map(|deadline| add(deadline, paused)),
                step,
            },
            Phase::ContinuedAsNew { until, next } => Phase::ContinuedAsNew {
                until: add(until, paused),
                next,
            },
            Phase::Done => Phase::Done,
        };
        self.status = match self.phase {
            Phase::Pending { .. } => RuntimeStatus::Pending,
            Phase::Running { .. } => RuntimeStatus::Running,
            Phase::ContinuedAsNew { .. } => RuntimeStatus::ContinuedAsNew,
            Phase::Done => self.status,
        };
        self.suspended_at = None;
        self.history
            .push(HistoryEvent::new("ExecutionResumed", now).field(
                "Reason",
                reason.map_or(Value::Null, |r| Value::String(r.into())),
            ));
        self.last_updated = now;
        self.advance(now);
        Ok(())
    }

    /// Rewinds a Failed instance: it becomes Running again and, after
    /// `timing.run`, completes with its input as output (an unknown
    /// orchestrator fails again).
    pub(crate) fn rewind(&mut self, reason: Option<&str>, now: OffsetDateTime) {
        self.history
            .push(HistoryEvent::new("ExecutionRewound", now).field(
                "Reason",
                reason.map_or(Value::Null, |r| Value::String(r.into())),
            ));
        let step = match self.program {
            Program::Missing => Step::Fail(missing_function_message(&self.name)),
            Program::Builtin(_) => Step::Complete(self.input.clone()),
        };
        self.status = RuntimeStatus::Running;
        self.output = Value::Null;
        self.last_updated = now;
        self.phase = Phase::Running {
            until: Some(add(now, self.timing.run)),
            step,
        };
        self.advance(now);
    }

    /// `historyEvents`, or `None` when the key must be omitted (Pending).
    pub(crate) fn history(&self, show_input: bool, show_output: bool) -> Option<Vec<Value>> {
        if self.status == RuntimeStatus::Pending {
            return None;
        }
        Some(
            self.history
                .iter()
                .map(|event| event.render(show_input, show_output))
                .collect(),
        )
    }
}

/// One entity with state.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub(crate) seq: u64,
    pub(crate) name: String,
    pub(crate) key: String,
    pub(crate) state: Value,
    pub(crate) last_operation: OffsetDateTime,
}

/// The state of one task hub.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    pub(crate) instances: HashMap<String, Instance>,
    pub(crate) entities: HashMap<(String, String), Entity>,
}

impl Hub {
    /// Advances every instance to `now`.
    pub(crate) fn advance_all(&mut self, now: OffsetDateTime) {
        for instance in self.instances.values_mut() {
            instance.advance(now);
        }
    }

    /// Looks an instance up, advanced to `now`.
    pub(crate) fn instance(&mut self, id: &str, now: OffsetDateTime) -> Option<&mut Instance> {
        let instance = self.instances.get_mut(id)?;
        instance.advance(now);
        Some(instance)
    }
}

/// Applies one entity operation of a built-in entity. `state` is the current
/// state (`None` when the entity does not exist); the result is the new
/// state (`None` = deleted / still absent). An operation that fails (unknown
/// operation, bad input) leaves the state unchanged, as a throwing entity
/// operation would.
pub(crate) fn apply_entity_operation(
    entity: &str,
    operation: &str,
    input: Option<&Value>,
    state: Option<Value>,
) -> Option<Value> {
    let op = operation.to_ascii_lowercase();
    if op == "delete" {
        return None;
    }
    match entity {
        "counter" => match op.as_str() {
            "add" => {
                let amount = input.and_then(|value| match value {
                    Value::Number(number) => number.as_i64(),
                    Value::String(text) => text.trim().parse().ok(),
                    _ => None,
                });
                match amount {
                    Some(amount) => {
                        let current = state.as_ref().and_then(Value::as_i64).unwrap_or(0);
                        Some(Value::from(current.saturating_add(amount)))
                    }
                    None => state,
                }
            }
            "reset" => Some(Value::from(0)),
            _ => state,
        },
        "store" => match op.as_str() {
            "set" => Some(input.cloned().unwrap_or(Value::Null)),
            _ => state,
        },
        _ => state,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_sets_match_the_handler() {
        let terminal: Vec<&str> = RuntimeStatus::ALL
            .iter()
            .filter(|s| s.is_terminal())
            .map(|s| s.name())
            .collect();
        assert_eq!(terminal, ["Completed", "Failed", "Canceled", "Terminated"]);
        let blocking: Vec<&str> = RuntimeStatus::ALL
            .iter()
            .filter(|s| s.blocks_start())
            .map(|s| s.name())
            .collect();
        assert_eq!(
            blocking,
            ["Running", "ContinuedAsNew", "Pending", "Suspended"]
        );
        let codes: Vec<i64> = RuntimeStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn parse_to_jtoken_keeps_json_and_wraps_text() {
        assert_eq!(parse_to_jtoken(None), Value::Null);
        assert_eq!(parse_to_jtoken(Some("12")), Value::from(12));
        assert_eq!(
            parse_to_jtoken(Some("plain text")),
            Value::from("plain text")
        );
    }

    #[test]
    fn huge_durations_saturate() {
        let at = OffsetDateTime::UNIX_EPOCH;
        assert!(add(at, Duration::MAX) > at);
        assert_eq!(scaled_seconds(f64::NAN, 1.0), Duration::ZERO);
        assert_eq!(scaled_seconds(-5.0, 1.0), Duration::ZERO);
    }

    #[test]
    fn continue_as_new_runs_its_iterations_lazily() {
        let at = OffsetDateTime::UNIX_EPOCH;
        let input = serde_json::json!({"iterations": 2, "seconds": 1});
        let mut instance = Instance::start(
            1,
            "i".into(),
            "ContinueAsNew".into(),
            input,
            Some(Builtin::ContinueAsNew),
            Timing::default(),
            at,
        );
        assert_eq!(instance.status(), RuntimeStatus::Running);
        instance.advance(at + time::Duration::milliseconds(1500));
        assert_eq!(instance.status(), RuntimeStatus::ContinuedAsNew);
        instance.advance(at + time::Duration::milliseconds(2500));
        assert_eq!(instance.status(), RuntimeStatus::Running);
        instance.advance(at + time::Duration::seconds(10));
        assert_eq!(instance.status(), RuntimeStatus::Completed);
        assert_eq!(instance.output, Value::from(2));
        // The transition is stamped with its deadline, not the observation time.
        assert_eq!(instance.last_updated, at + time::Duration::seconds(3));
    }
}
