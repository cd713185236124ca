//! Diagnostics: what capgen tells the user about their inputs.
//!
//! Every problem or inference is a [`Diagnostic`] with a stable [`Code`], a severity, a message
//! and, where it concerns a document, the file and the JSON pointer of the node it is about.
//! Pointers are turned into `file:line:col` and a source snippet only when the diagnostic is
//! rendered, so loaders can report against the raw JSON tree without carrying positions around.

use std::fmt::{self, Write as _};
use std::sync::Arc;

use serde::Serialize;

use crate::load::source::{SourceFile, Span};

/// How serious a diagnostic is. Errors make the run fail; warnings and notes never do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        })
    }
}

macro_rules! codes {
    ($($(#[doc = $doc:literal])* $name:ident = $code:literal,)*) => {
        /// Stable diagnostic codes. The letter says which stage found the problem:
        /// `S` source files, `O` OpenAPI, `V` overlays, `C` capabilities, `J` the join, `G` emission.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($(#[doc = $doc])* $name,)*
        }

        impl Code {
            /// The code as printed, e.g. `O101`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$name => $code,)*
                }
            }

            /// Every code, for documentation and tests.
            pub const ALL: &'static [Code] = &[$(Code::$name,)*];
        }
    };
}

codes! {
    /// A file could not be read.
    Io = "S001",
    /// YAML syntax error.
    YamlSyntax = "S002",
    /// JSON syntax error.
    JsonSyntax = "S003",
    /// A `capgen.toml` manifest is malformed.
    ManifestShape = "S005",
    /// The document root is not a mapping.
    NotAMapping = "S004",
    /// A document that is not UTF-8 text.
    NotUtf8 = "S006",
    /// The document is not OpenAPI 3.0 or 3.1 (e.g. Swagger 2.0 or no `openapi` field).
    OpenApiVersion = "O001",
    /// The document does not have the shape of an OpenAPI document.
    OpenApiShape = "O002",
    /// A `$ref` points at nothing.
    UnresolvedRef = "O101",
    /// A `$ref` names a network location; capgen never fetches.
    NetworkRef = "O102",
    /// A `$ref` refers to itself without any structure in between.
    CyclicRef = "O103",
    /// A `$ref` has a form capgen cannot follow.
    BadRef = "O104",
    /// An OpenAPI 3.1 construct the model cannot carry; it is reported and ignored.
    NotCarried = "O201",
    /// `webhooks` are kept aside: nothing is generated for them.
    WebhooksIgnored = "O202",
    /// An OpenAPI feature capgen does not generate code for.
    Unsupported = "O203",
    /// An inconsistency inside the OpenAPI document (e.g. a path parameter without a template variable).
    OpenApiInconsistent = "O204",
    /// Two operations share an `operationId` (the specification requires them unique).
    DuplicateOperationId = "O205",
    /// A `$ref` where OpenAPI does not allow one (an operation, a description), resolved as
    /// bundlers do.
    ForeignRef = "O206",
    /// An overlay document is malformed.
    OverlayShape = "V001",
    /// An overlay `target` is not a valid JSONPath expression.
    OverlayBadTarget = "V002",
    /// An overlay `target` selects nothing.
    OverlayNoMatch = "V003",
    /// The `naftiko` version is missing or not one capgen knows.
    CapabilityVersion = "C001",
    /// The capability does not have the expected shape (wrong type, missing field).
    CapabilityShape = "C002",
    /// A consumed `baseUri` that is not an absolute `http://` or `https://` URL.
    BaseUriScheme = "C005",
    /// A field the schema does not define.
    UnknownField = "C003",
    /// `--strict`: the document violates the official JSON Schema.
    SchemaViolation = "C004",
    /// Seed dialect: consumed `inputParameters` carry `type`, `required` or `description`.
    ConsumedParamExtras = "C101",
    /// Seed dialect: a `{x}` path template where Naftiko substitutes only `{{x}}`.
    SingleBraceTemplate = "C102",
    /// Seed dialect: a `with` reference whose prefix is not the adapter's namespace (`rest.x`, `tools.x`).
    ForeignWithPrefix = "C103",
    /// Seed dialect: `type: object, mapping: $.` without properties, read as "the whole body".
    WholeBodyMapping = "C104",
    /// Seed dialect: a qualified `{{env.X}}` bind reference.
    QualifiedBindRef = "C105",
    /// Seed dialect: `description` on a REST adapter.
    RestDescription = "C106",
    /// Seed dialect: a server variable (`{appName}`) in a consumed `baseUri`.
    BaseUriVariable = "C107",
    /// Seed dialect: a consumed output parameter with `value: $.` used as a pass-through.
    ConsumedOutputPassthrough = "C108",
    /// An adapter type capgen parses but does not generate (skill, control).
    UnsupportedAdapter = "C201",
    /// A construct capgen parses but does not generate (Python and Groovy `script` steps, a
    /// `forward` beside operations).
    UnsupportedConstruct = "C202",
    /// An authentication type capgen cannot apply in this position.
    UnsupportedAuth = "C203",
    /// A `binds` entry or reference that cannot be resolved.
    UnknownBind = "C204",
    /// A `ref` names no function of the document's `aggregates`.
    UnknownAggregateRef = "C205",
    /// An imported `consumes` entry cannot be read (missing file, unknown namespace).
    UnresolvedImport = "C206",
    /// Output mappings over an `outputRawFormat` capgen does not convert (avro, protobuf).
    UnsupportedFormat = "C207",
    /// Seed dialect: `authentication: {type: none}`, read as "no authentication".
    AuthNone = "C109",
    /// Seed dialect: an `outputRawFormat` the schema does not define (`text`); the body passes
    /// through unchanged.
    UnknownRawFormat = "C110",
    /// A `baseUri` ending with `/`: valid in alpha2, rejected by the engine since alpha3; capgen
    /// joins it to paths with one `/` (not a seed-dialect deviation: `--strict` keeps it a warning).
    TrailingSlashBaseUri = "C111",
    /// `call` names no consumed operation.
    UnknownCall = "J001",
    /// A `with` key or value names an input that does not exist.
    UnknownWithInput = "J002",
    /// Two MCP tools share a name.
    DuplicateTool = "J003",
    /// Two exposed REST operations share a method and path.
    DuplicateRoute = "J004",
    /// An exposed operation or tool calls nothing.
    NoCall = "J005",
    /// A tool name is not a valid MCP tool name.
    InvalidToolName = "J006",
    /// Two names collide after normalisation (namespaces, resources, operations).
    DuplicateName = "J007",
    /// A step `index` or a `mappings` value names no earlier step.
    UnknownStep = "J008",
    /// A `script` step capgen cannot run as written (language, location, file paths).
    ScriptStep = "J009",
    /// A skill or skill tool capgen cannot write as declared (names, `from`, instructions).
    SkillTool = "J010",
    /// A consumed operation has no matching OpenAPI operation.
    NoOpenApiMatch = "J101",
    /// An OpenAPI operation no capability uses.
    NotExposed = "J102",
    /// The capability and the OpenAPI document disagree on a type.
    TypeConflict = "J103",
    /// An input was inferred (from a path template or the OpenAPI operation).
    InferredInput = "J104",
    /// Two names matched only case-insensitively.
    CaseInsensitiveMatch = "J105",
    /// Something the code generator cannot express.
    EmitUnsupported = "G001",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Where in which document a diagnostic points.
#[derive(Clone, Debug)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub at: Anchor,
}

/// A position inside a document: a JSON pointer (resolved when rendering) or a known span.
#[derive(Clone, Debug)]
pub enum Anchor {
    /// RFC 6901 pointer into the parsed document. When `key` is set the diagnostic points at the
    /// mapping key rather than its value (e.g. an unknown field).
    Pointer { pointer: String, key: bool },
    /// A span found by the parser itself (syntax errors).
    Span(Span),
}

/// One message to the user.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub location: Option<Location>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity,
            message: message.into(),
            location: None,
            help: None,
        }
    }

    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Warning, code, message)
    }

    pub fn note(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(Severity::Note, code, message)
    }

    /// Points the diagnostic at the value found at `pointer` in `file`.
    pub fn at(mut self, file: &Arc<SourceFile>, pointer: impl Into<String>) -> Diagnostic {
        let at = Anchor::Pointer {
            pointer: pointer.into(),
            key: false,
        };
        self.location = Some(Location {
            file: file.clone(),
            at,
        });
        self
    }

    /// Points the diagnostic at the mapping key of the member at `pointer` in `file`.
    pub fn at_key(mut self, file: &Arc<SourceFile>, pointer: impl Into<String>) -> Diagnostic {
        let at = Anchor::Pointer {
            pointer: pointer.into(),
            key: true,
        };
        self.location = Some(Location {
            file: file.clone(),
            at,
        });
        self
    }

    pub fn at_span(mut self, file: &Arc<SourceFile>, span: Span) -> Diagnostic {
        self.location = Some(Location {
            file: file.clone(),
            at: Anchor::Span(span),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The resolved position (file path, span), if the diagnostic has one.
    pub fn position(&self) -> Option<(&str, Span)> {
        let location = self.location.as_ref()?;
        let span = match &location.at {
            Anchor::Span(span) => *span,
            Anchor::Pointer { pointer, key } => location.file.locate(pointer, *key),
        };
        Some((location.file.display_path(), span))
    }

    /// The JSON pointer the diagnostic is about, if any.
    pub fn pointer(&self) -> Option<&str> {
        match &self.location.as_ref()?.at {
            Anchor::Pointer { pointer, .. } => Some(pointer),
            Anchor::Span(_) => None,
        }
    }

    /// Renders the diagnostic the way compilers do: header, location, snippet, help.
    pub fn render(&self) -> String {
        let mut out = format!("{}[{}]: {}\n", self.severity, self.code, self.message);
        if let Some((path, span)) = self.position() {
            let _ = writeln!(out, "  --> {}:{}:{}", path, span.line, span.col);
            if let Some(location) = &self.location {
                out.push_str(&location.file.snippet(span));
            }
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "   = help: {help}");
        }
        out
    }

    /// A machine-readable form for `--format json` and tests.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::json!({
            "code": self.code.as_str(),
            "severity": self.severity,
            "message": self.message,
        });
        if let Some((path, span)) = self.position() {
            object["file"] = path.into();
            object["line"] = span.line.into();
            object["column"] = span.col.into();
        }
        if let Some(pointer) = self.pointer() {
            object["pointer"] = pointer.into();
        }
        if let Some(help) = &self.help {
            object["help"] = help.as_str().into();
        }
        object
    }
}

/// The diagnostics of one run, in the order they were found.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|it| it.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.items
            .iter()
            .filter(|it| it.severity == Severity::Error)
            .count()
    }

    pub fn warning_count(&self) -> usize {
        self.items
            .iter()
            .filter(|it| it.severity == Severity::Warning)
            .count()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Turns every warning with one of `codes` into an error (`--strict`).
    pub fn escalate(&mut self, codes: &[Code]) {
        for it in &mut self.items {
            if it.severity == Severity::Warning && codes.contains(&it.code) {
                it.severity = Severity::Error;
            }
        }
    }

    /// Sorted for stable output: by file, position, then code.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        type Keyed<'a> = (Option<(String, usize, usize)>, &'a Diagnostic);
        let mut res: Vec<Keyed<'_>> = self
            .items
            .iter()
            .map(|it| {
                (
                    it.position().map(|(p, s)| (p.to_owned(), s.line, s.col)),
                    it,
                )
            })
            .collect();
        res.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then(a.1.code.cmp(&b.1.code))
                .then(a.1.message.cmp(&b.1.message))
        });
        res.into_iter().map(|(_, it)| it).collect()
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Escapes one segment of a JSON pointer (RFC 6901).
pub fn escape_pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Appends `segment` to `pointer`.
pub fn pointer_join(pointer: &str, segment: impl fmt::Display) -> String {
    format!("{pointer}/{}", escape_pointer_segment(&segment.to_string()))
}
