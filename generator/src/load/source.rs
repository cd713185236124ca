//! Source documents: reading YAML or JSON into a JSON tree, and mapping JSON pointers back to
//! `line:col` for diagnostics.
//!
//! Parsing uses `yaml_serde` (YAML) and `serde_json` (JSON) into a `serde_json::Value`. Positions
//! are not carried through parsing; the first time a diagnostic needs one, the file is scanned
//! once more with a position-aware parser (`saphyr-parser` for YAML, a small scanner for JSON)
//! and an index from pointer to span is kept for the rest of the run.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::load::diagnostics::{Code, Diagnostic, escape_pointer_segment};

/// A 1-based line and column (in characters), plus the length of the node on its first line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Span {
    pub line: usize,
    pub col: usize,
    pub len: usize,
}

impl Span {
    pub fn new(line: usize, col: usize, len: usize) -> Span {
        Span { line, col, len }
    }
}

/// The syntax a document is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// One input document: its path as the user gave it, its text, and (lazily) its position index.
#[derive(Debug)]
pub struct SourceFile {
    display_path: String,
    path: PathBuf,
    text: String,
    format: Format,
    index: OnceLock<PositionIndex>,
    /// Byte offset of each line's start, built on first use (snippets of many diagnostics).
    line_starts: OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// Reads a file. The format comes from the extension; unknown extensions are sniffed.
    pub fn read(path: &Path) -> Result<Arc<SourceFile>, Diagnostic> {
        let mut bytes = std::fs::read(path).map_err(|err| {
            Diagnostic::error(Code::Io, format!("cannot read `{}`: {err}", path.display()))
        })?;
        // A UTF-8 byte order mark (Windows tools write one) is not part of the document; it has
        // no width, so lines and columns stay as an editor shows them.
        if bytes.starts_with(b"\xEF\xBB\xBF") {
            bytes.drain(..3);
        }
        match String::from_utf8(bytes) {
            Ok(text) => Ok(SourceFile::from_text(path, text)),
            Err(err) => {
                let at = err.utf8_error().valid_up_to();
                let bytes = err.into_bytes();
                // Where the first bad byte is: its line, and its column in characters.
                let before = String::from_utf8_lossy(&bytes[..at]);
                let line = before.matches('\n').count() + 1;
                let col = before
                    .rsplit('\n')
                    .next()
                    .map_or(0, |it| it.chars().count())
                    + 1;
                let file =
                    SourceFile::from_text(path, String::from_utf8_lossy(&bytes).into_owned());
                Err(Diagnostic::error(
                    Code::NotUtf8,
                    format!(
                        "`{}` is not UTF-8 text: byte {at} is not valid UTF-8",
                        path.display()
                    ),
                )
                .at_span(&file, Span::new(line, col, 1))
                .with_help("save the document as UTF-8"))
            }
        }
    }

    pub fn from_text(path: &Path, text: String) -> Arc<SourceFile> {
        let format = match path.extension().and_then(|it| it.to_str()) {
            Some("json") => Format::Json,
            Some("yaml" | "yml") => Format::Yaml,
            _ if text.trim_start().starts_with('{') => Format::Json,
            _ => Format::Yaml,
        };
        let display_path = path.to_string_lossy().replace('\\', "/");
        Arc::new(SourceFile {
            display_path,
            path: path.to_path_buf(),
            text,
            format,
            index: OnceLock::new(),
            line_starts: OnceLock::new(),
        })
    }

    pub fn display_path(&self) -> &str {
        &self.display_path
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Parses the document into a JSON tree. Mapping keys that are not strings in YAML (`200:`)
    /// become strings, as they are in JSON.
    pub fn parse(self: &Arc<Self>) -> Result<Value, Diagnostic> {
        match self.format {
            Format::Json => serde_json::from_str(&self.text).map_err(|err| {
                let span = Span::new(err.line().max(1), err.column().max(1), 1);
                let message = strip_position(&err.to_string());
                Diagnostic::error(Code::JsonSyntax, format!("invalid JSON: {message}"))
                    .at_span(self, span)
            }),
            Format::Yaml => {
                let yaml: JsonFromYaml = yaml_serde::from_str(&self.text).map_err(|err| {
                    let span = err
                        .location()
                        .map(|it| Span::new(it.line(), it.column(), 1))
                        .unwrap_or(Span::new(1, 1, 1));
                    let message = strip_position(&err.to_string());
                    // The parser points at the mapping; point at the repeated key instead.
                    let span = if message.contains("duplicate entry") {
                        duplicate_key_span(&self.text, span.line).unwrap_or(span)
                    } else {
                        span
                    };
                    Diagnostic::error(Code::YamlSyntax, format!("invalid YAML: {message}"))
                        .at_span(self, span)
                })?;
                let mut value = yaml.0;
                let value = convert_ordered_maps(&self.text, &mut value).map(|()| value);
                value.map_err(|message| {
                    Diagnostic::error(Code::YamlSyntax, message).at_span(self, Span::new(1, 1, 1))
                })
            }
        }
    }

    /// The span of the node at `pointer` (or of its key when `key` is set). A pointer that does
    /// not exist in the file resolves to its nearest existing ancestor.
    pub fn locate(&self, pointer: &str, key: bool) -> Span {
        let index = self
            .index
            .get_or_init(|| PositionIndex::build(&self.text, self.format));
        let mut current = pointer;
        let mut exact = true;
        loop {
            if let Some(entry) = index.entries.get(current) {
                // For a node that is not in the file, point at the key of its nearest ancestor.
                let prefer_key = key || !exact;
                return if prefer_key {
                    entry.key.unwrap_or(entry.value)
                } else {
                    entry.value
                };
            }
            exact = false;
            match current.rfind('/') {
                Some(pos) => current = &current[..pos],
                None => return Span::new(1, 1, 1),
            }
        }
    }

    /// The span of the byte range `range` of the text (for parsers that report byte offsets).
    pub fn span_of_bytes(&self, range: std::ops::Range<usize>) -> Span {
        let start = range.start.min(self.text.len());
        let before = &self.text[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map(|it| it + 1).unwrap_or(0);
        let col = self.text[line_start..start].chars().count() + 1;
        let end = range.end.clamp(start, self.text.len());
        let len = self.text[start..end]
            .split('\n')
            .next()
            .map(|it| it.chars().count())
            .unwrap_or(1);
        Span::new(line, col, len.max(1))
    }

    /// A rustc-style snippet of the line `span` is on, with a caret line under it.
    pub fn snippet(&self, span: Span) -> String {
        let Some(line) = self.line(span.line) else {
            return String::new();
        };
        let number = span.line.to_string();
        let gutter = " ".repeat(number.len());
        let shown: String = line.chars().take(160).collect();
        let line_chars = shown.chars().count();
        let col = span.col.max(1).min(line_chars + 1);
        let len = span
            .len
            .max(1)
            .min((line_chars + 1).saturating_sub(col).max(1));
        let mut out = String::new();
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {shown}");
        let _ = writeln!(out, "{gutter} | {}{}", " ".repeat(col - 1), "^".repeat(len));
        out
    }
}

impl SourceFile {
    /// Line `number` (1-based) as `str::lines` yields it: without `\n` or `\r\n`.
    fn line(&self, number: usize) -> Option<&str> {
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(at, _)| at + 1))
                .filter(|start| *start < self.text.len())
                .collect()
        });
        let start = *starts.get(number.checked_sub(1)?)?;
        let rest = &self.text[start..];
        let line = rest.split('\n').next().unwrap_or(rest);
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// The span of the first repeated key in a mapping that starts on `line`.
fn duplicate_key_span(text: &str, line: usize) -> Option<Span> {
    use saphyr_parser::{Event, Parser};
    // Per open collection: whether it is a mapping, its start line, the keys seen, whether the
    // next scalar is a key.
    let mut stack: Vec<(bool, usize, Vec<String>, bool)> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, span))) = parser.next_event() {
        let here = Span::new(span.start.line(), span.start.col() + 1, 1);
        let is_key = matches!(stack.last(), Some((true, _, _, true)));
        match event {
            Event::Scalar(value, ..) => {
                if let Some((true, start, keys, expecting_key)) = stack.last_mut() {
                    if is_key {
                        if *start == line && keys.iter().any(|it| *it == value) {
                            return Some(Span::new(
                                here.line,
                                here.col,
                                value.chars().count().max(1),
                            ));
                        }
                        keys.push(value.into_owned());
                    }
                    *expecting_key = !is_key;
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if let Some((true, _, _, expecting_key)) = stack.last_mut() {
                    *expecting_key = !is_key;
                }
                let is_map = matches!(event, Event::MappingStart(..));
                stack.push((is_map, here.line, Vec::new(), true));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
            }
            Event::Alias(_) => {
                if let Some((true, _, _, expecting_key)) = stack.last_mut() {
                    *expecting_key = !is_key;
                }
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    None
}

fn strip_position(message: &str) -> String {
    // Both parsers append " at line X column Y"; the location is printed separately.
    match message.find(" at line ") {
        Some(pos) => message[..pos].to_owned(),
        None => message.to_owned(),
    }
}

/// A YAML document read straight into JSON: tags dropped (the tagged value is kept), scalar
/// keys as strings, integers of any size kept (beyond 64 bits as the nearest float, as
/// `serde_json` reads them from JSON), a repeated key an error.
struct JsonFromYaml(Value);

impl<'de> serde::Deserialize<'de> for JsonFromYaml {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(YamlVisitor).map(JsonFromYaml)
    }
}

/// A mapping key as text.
struct YamlKey(String);

impl<'de> serde::Deserialize<'de> for YamlKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = deserializer.deserialize_any(YamlVisitor)?;
        Ok(YamlKey(match value {
            Value::String(it) => it,
            Value::Null => "null".to_owned(),
            Value::Bool(it) => it.to_string(),
            Value::Number(it) => it.to_string(),
            other => {
                return Err(serde::de::Error::custom(format!(
                    "unsupported mapping key {other}"
                )));
            }
        }))
    }
}

struct YamlVisitor;

fn big_number(float: f64) -> Value {
    serde_json::Number::from_f64(float)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

impl<'de> serde::de::Visitor<'de> for YamlVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Value, E> {
        Ok(match (i64::try_from(v), u64::try_from(v)) {
            (Ok(it), _) => Value::from(it),
            (_, Ok(it)) => Value::from(it),
            _ => big_number(v as f64),
        })
    }

    fn visit_u128<E>(self, v: u128) -> Result<Value, E> {
        Ok(match u64::try_from(v) {
            Ok(it) => Value::from(it),
            Err(_) => big_number(v as f64),
        })
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(big_number(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(YamlVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(JsonFromYaml(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(YamlKey(key)) = map.next_key()? {
            let JsonFromYaml(value) = map.next_value()?;
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!(
                    "duplicate entry with key \"{key}\""
                )));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }

    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        // A tagged value: the tag says how to read it; the value itself is what is kept.
        use serde::de::VariantAccess;
        let (_tag, variant): (serde::de::IgnoredAny, _) = data.variant()?;
        variant.newtype_variant::<JsonFromYaml>().map(|it| it.0)
    }
}

/// Ordered maps (`!!omap`: a sequence of single-pair mappings, as some YAML writers emit) are
/// mappings for every reader here (serde_json keeps insertion order). yaml_serde drops the
/// resolved `tag:yaml.org,2002:omap` tag, so the sequences are found with the event parser.
fn convert_ordered_maps(text: &str, value: &mut Value) -> Result<(), String> {
    if !text.contains("!!omap") && !text.contains("tag:yaml.org,2002:omap") {
        return Ok(());
    }
    let mut ordered = ordered_map_pointers(text);
    // Deepest first, so an outer conversion never moves a pointer still to be converted.
    ordered.sort_by_key(|pointer| std::cmp::Reverse(pointer.matches('/').count()));
    for pointer in ordered {
        let Some(node) = value.pointer_mut(&pointer) else {
            continue;
        };
        let Value::Array(pairs) = std::mem::take(node) else {
            continue;
        };
        let mut object = serde_json::Map::with_capacity(pairs.len());
        for pair in pairs {
            match pair {
                Value::Object(pair) if pair.len() == 1 => object.extend(pair),
                _ => return Err("an !!omap entry must be a mapping with one key".to_owned()),
            }
        }
        *node = Value::Object(object);
    }
    Ok(())
}

/// The JSON pointers (in the document as written) of every sequence tagged `!!omap`.
fn ordered_map_pointers(text: &str) -> Vec<String> {
    use saphyr_parser::{Event, Parser};

    // Each open collection: its pointer, the next sequence index, and a map's pending key.
    struct Open {
        pointer: String,
        next: Option<usize>,
        key: Option<String>,
    }
    fn child(stack: &mut [Open]) -> Option<String> {
        let Some(parent) = stack.last_mut() else {
            return Some(String::new());
        };
        match parent.next.as_mut() {
            Some(next) => {
                *next += 1;
                Some(format!("{}/{}", parent.pointer, *next - 1))
            }
            None => Some(format!(
                "{}/{}",
                parent.pointer,
                escape_pointer_segment(&parent.key.take()?)
            )),
        }
    }

    let mut found = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    while let Some(Ok((event, _))) = parser.next_event() {
        let awaiting_key = stack
            .last()
            .is_some_and(|open| open.next.is_none() && open.key.is_none());
        let is_sequence = matches!(event, Event::SequenceStart(..));
        match event {
            Event::Scalar(value, ..) if awaiting_key => {
                if let Some(open) = stack.last_mut() {
                    open.key = Some(value.into_owned());
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                child(&mut stack);
            }
            Event::SequenceStart(_, tag) | Event::MappingStart(_, tag) if !awaiting_key => {
                let pointer = child(&mut stack).unwrap_or_default();
                if is_sequence && tag.is_some_and(|tag| tag.suffix == "omap" && tag.handle != "!") {
                    found.push(pointer.clone());
                }
                stack.push(Open {
                    pointer,
                    next: is_sequence.then_some(0),
                    key: None,
                });
            }
            // A complex key: nothing below it is addressable by a pointer.
            Event::SequenceStart(..) | Event::MappingStart(..) => stack.push(Open {
                pointer: "\u{0}".to_owned(),
                next: Some(0),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop();
            }
            Event::StreamEnd => break,
            _ => {}
        }
    }
    found
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    key: Option<Span>,
    value: Span,
}

#[derive(Debug, Default)]
struct PositionIndex {
    entries: HashMap<String, Entry>,
}

impl PositionIndex {
    fn build(text: &str, format: Format) -> PositionIndex {
        let mut index = PositionIndex::default();
        match format {
            Format::Yaml => index.index_yaml(text),
            Format::Json => json_index::index(text, &mut index.entries),
        }
        index
    }

    fn index_yaml(&mut self, text: &str) {
        use saphyr_parser::{Event, Parser};

        enum Frame {
            Seq {
                pointer: String,
                next: usize,
            },
            Map {
                pointer: String,
                pending_key: Option<(String, Span)>,
            },
            /// An `!!omap`: its single-pair mappings are entries of the sequence's own pointer.
            OrderedMap {
                pointer: String,
            },
        }

        fn is_omap(tag: Option<&saphyr_parser::Tag>) -> bool {
            tag.is_some_and(|tag| tag.suffix == "omap" && tag.handle != "!")
        }

        fn span_of(span: saphyr_parser::Span) -> Span {
            let len = span.end.index().saturating_sub(span.start.index());
            let len = if span.end.line() == span.start.line() {
                len
            } else {
                1
            };
            Span::new(span.start.line(), span.start.col() + 1, len)
        }

        let mut stack: Vec<Frame> = Vec::new();
        let mut parser = Parser::new_from_str(text);
        // Called for each node start: returns the pointer of the node, consuming the map key.
        fn node_pointer(stack: &mut [Frame]) -> Option<(String, Option<Span>)> {
            match stack.last_mut() {
                None => Some((String::new(), None)),
                Some(Frame::OrderedMap { pointer }) => Some((pointer.clone(), None)),
                Some(Frame::Seq { pointer, next }) => {
                    let res = format!("{pointer}/{next}");
                    *next += 1;
                    Some((res, None))
                }
                Some(Frame::Map {
                    pointer,
                    pending_key,
                }) => {
                    let (key, key_span) = pending_key.take()?;
                    Some((
                        format!("{pointer}/{}", escape_pointer_segment(&key)),
                        Some(key_span),
                    ))
                }
            }
        }

        while let Some(Ok((event, span))) = parser.next_event() {
            let here = span_of(span);
            match event {
                Event::Scalar(value, ..) => {
                    if let Some(Frame::Map { pending_key, .. }) = stack.last_mut()
                        && pending_key.is_none()
                    {
                        *pending_key = Some((value.into_owned(), here));
                        continue;
                    }
                    if let Some((pointer, key)) = node_pointer(&mut stack) {
                        self.entries.insert(pointer, Entry { key, value: here });
                    }
                }
                Event::Alias(_) => {
                    if let Some(Frame::Map { pending_key, .. }) = stack.last_mut()
                        && pending_key.is_none()
                    {
                        *pending_key = Some(("<alias>".to_owned(), here));
                        continue;
                    }
                    if let Some((pointer, key)) = node_pointer(&mut stack) {
                        self.entries.insert(pointer, Entry { key, value: here });
                    }
                }
                Event::MappingStart(..)
                    if matches!(stack.last(), Some(Frame::OrderedMap { .. })) =>
                {
                    let Some(Frame::OrderedMap { pointer }) = stack.last() else {
                        continue;
                    };
                    stack.push(Frame::Map {
                        pointer: pointer.clone(),
                        pending_key: None,
                    });
                }
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    let is_map = matches!(event, Event::MappingStart(..));
                    let ordered_map =
                        matches!(&event, Event::SequenceStart(_, tag) if is_omap(tag.as_deref()));
                    let (pointer, key) = match stack.last_mut() {
                        Some(Frame::Map {
                            pending_key: None, ..
                        }) => {
                            // A complex key: index nothing below it.
                            ("\u{0}complex".to_owned(), None)
                        }
                        _ => node_pointer(&mut stack).unwrap_or_default(),
                    };
                    self.entries
                        .insert(pointer.clone(), Entry { key, value: here });
                    stack.push(if ordered_map {
                        Frame::OrderedMap { pointer }
                    } else if is_map {
                        Frame::Map {
                            pointer,
                            pending_key: None,
                        }
                    } else {
                        Frame::Seq { pointer, next: 0 }
                    });
                }
                Event::SequenceEnd | Event::MappingEnd => {
                    stack.pop();
                }
                Event::DocumentEnd | Event::StreamEnd => {
                    if matches!(event, Event::StreamEnd) {
                        break;
                    }
                }
                _ => {}
            }
        }
    }
}

mod json_index {
    //! A scanner that records where each value of a JSON text starts.

    use std::collections::HashMap;

    use super::{Entry, Span};
    use crate::load::diagnostics::escape_pointer_segment;

    struct Scanner<'a> {
        bytes: &'a [u8],
        text: &'a str,
        pos: usize,
        line: usize,
        line_start: usize,
        /// The last column computed, as (byte offset, characters from `line_start`): the scan
        /// only moves forward, so each column counts from the previous one. Counting from the
        /// line start each time is quadratic on a minified (one-line) document.
        column: std::cell::Cell<(usize, usize)>,
    }

    pub(super) fn index(text: &str, entries: &mut HashMap<String, Entry>) {
        let mut scanner = Scanner {
            bytes: text.as_bytes(),
            text,
            pos: 0,
            line: 1,
            line_start: 0,
            column: std::cell::Cell::new((0, 0)),
        };
        scanner.value(String::new(), None, entries, 0);
    }

    impl Scanner<'_> {
        fn span(&self, start: usize, end: usize) -> Span {
            let (at, count) = self.column.get();
            let chars = if at >= self.line_start && at <= start {
                count + self.text[at..start].chars().count()
            } else {
                self.text[self.line_start..start].chars().count()
            };
            self.column.set((start, chars));
            let len = self.text[start..end.max(start)].chars().count();
            Span::new(self.line, chars + 1, len.max(1))
        }

        fn skip_ws(&mut self) {
            while let Some(&b) = self.bytes.get(self.pos) {
                match b {
                    b'\n' => {
                        self.pos += 1;
                        self.line += 1;
                        self.line_start = self.pos;
                    }
                    b' ' | b'\t' | b'\r' => self.pos += 1,
                    _ => break,
                }
            }
        }

        fn string_end(&self, start: usize) -> usize {
            let mut pos = start + 1;
            while let Some(&b) = self.bytes.get(pos) {
                match b {
                    b'\\' => pos += 2,
                    b'"' => return pos + 1,
                    _ => pos += 1,
                }
            }
            self.bytes.len()
        }

        fn value(
            &mut self,
            pointer: String,
            key: Option<Span>,
            entries: &mut HashMap<String, Entry>,
            depth: usize,
        ) {
            self.skip_ws();
            let start = self.pos;
            let Some(&b) = self.bytes.get(start) else {
                return;
            };
            if depth > 512 {
                return;
            }
            match b {
                b'{' => {
                    entries.insert(
                        pointer.clone(),
                        Entry {
                            key,
                            value: self.span(start, start + 1),
                        },
                    );
                    self.pos += 1;
                    loop {
                        self.skip_ws();
                        match self.bytes.get(self.pos) {
                            Some(b'}') => {
                                self.pos += 1;
                                return;
                            }
                            Some(b',') => self.pos += 1,
                            Some(b'"') => {
                                let key_start = self.pos;
                                let key_end = self.string_end(key_start);
                                let raw = &self.text[key_start..key_end];
                                let name: String = serde_json::from_str(raw).unwrap_or_default();
                                let key_span = self.span(key_start, key_end);
                                self.pos = key_end;
                                self.skip_ws();
                                if self.bytes.get(self.pos) == Some(&b':') {
                                    self.pos += 1;
                                }
                                let child = format!("{pointer}/{}", escape_pointer_segment(&name));
                                self.value(child, Some(key_span), entries, depth + 1);
                            }
                            _ => return,
                        }
                    }
                }
                b'[' => {
                    entries.insert(
                        pointer.clone(),
                        Entry {
                            key,
                            value: self.span(start, start + 1),
                        },
                    );
                    self.pos += 1;
                    let mut next = 0usize;
                    loop {
                        self.skip_ws();
                        match self.bytes.get(self.pos) {
                            Some(b']') => {
                                self.pos += 1;
                                return;
                            }
                            Some(b',') => self.pos += 1,
                            Some(_) => {
                                let before = self.pos;
                                self.value(format!("{pointer}/{next}"), None, entries, depth + 1);
                                next += 1;
                                if self.pos == before {
                                    return;
                                }
                            }
                            None => return,
                        }
                    }
                }
                b'"' => {
                    let end = self.string_end(start);
                    entries.insert(
                        pointer,
                        Entry {
                            key,
                            value: self.span(start, end),
                        },
                    );
                    self.pos = end;
                }
                _ => {
                    let mut end = start;
                    while let Some(&c) = self.bytes.get(end) {
                        if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                            break;
                        }
                        end += 1;
                    }
                    entries.insert(
                        pointer,
                        Entry {
                            key,
                            value: self.span(start, end),
                        },
                    );
                    self.pos = end.max(start + 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, text: &str) -> Arc<SourceFile> {
        SourceFile::from_text(Path::new(name), text.to_owned())
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_document() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bom.json");
        std::fs::write(&path, b"\xEF\xBB\xBF{\"openapi\": \"3.0.0\"}").expect("write");
        let src = SourceFile::read(&path).expect("reads");
        assert_eq!(src.format(), Format::Json);
        assert_eq!(src.line(1), Some("{\"openapi\": \"3.0.0\"}"));
    }

    #[test]
    fn lines_are_numbered_as_str_lines_numbers_them() {
        for text in ["a\nb\r\n\nc", "a\n", "", "\n\n", "x\r\ny\r\n"] {
            let src = file("a.yaml", text);
            for number in 0..6_usize {
                let expected = number
                    .checked_sub(1)
                    .and_then(|index| text.lines().nth(index));
                assert_eq!(src.line(number), expected, "{text:?} line {number}");
            }
        }
    }

    #[test]
    fn yaml_pointer_resolves_to_value_and_key() {
        let src = file(
            "a.yaml",
            "paths:\n  /pets/{id}:\n    get:\n      operationId: getPet\n",
        );
        assert_eq!(
            src.locate("/paths/~1pets~1{id}/get/operationId", false),
            Span::new(4, 20, 6)
        );
        assert_eq!(
            src.locate("/paths/~1pets~1{id}/get/operationId", true),
            Span::new(4, 7, 11)
        );
    }

    #[test]
    fn yaml_sequence_items_are_indexed() {
        let src = file("a.yaml", "tools:\n  - name: a\n  - name: b\n");
        assert_eq!(src.locate("/tools/1/name", false), Span::new(3, 11, 1));
    }

    #[test]
    fn ordered_maps_read_and_locate_as_mappings() {
        let src = file(
            "a.yaml",
            "!!omap\n- info: !!omap\n  - title: x\n  - version: '1'\n- tags: [a]\n",
        );
        assert_eq!(
            src.parse().ok(),
            Some(serde_json::json!({"info": {"title": "x", "version": "1"}, "tags": ["a"]}))
        );
        assert_eq!(src.locate("/info/version", false), Span::new(4, 14, 3));
        assert_eq!(src.locate("/tags/0", false), Span::new(5, 10, 1));
    }

    #[test]
    fn missing_pointer_falls_back_to_ancestor() {
        let src = file("a.yaml", "info:\n  title: x\n");
        assert_eq!(src.locate("/info/version", false).line, 1);
    }

    #[test]
    fn json_pointer_resolves() {
        let src = file("a.json", "{\n  \"a\": {\n    \"b\": [1, \"x\"]\n  }\n}\n");
        assert_eq!(src.locate("/a/b/1", false), Span::new(3, 14, 3));
        assert_eq!(src.locate("/a/b", true), Span::new(3, 5, 3));
    }

    #[test]
    fn yaml_numeric_keys_become_strings() {
        let value = file("a.yaml", "responses:\n  200:\n    description: ok\n").parse();
        let value = value.expect("parses");
        assert!(value["responses"]["200"].is_object());
    }

    #[test]
    fn yaml_syntax_error_is_located() {
        let err = file("bad.yaml", "a: [1, 2\nb: c\n")
            .parse()
            .expect_err("must fail");
        assert_eq!(err.code, Code::YamlSyntax);
        let (_, span) = err.position().expect("located");
        assert!(span.line >= 1);
    }

    /// Integers beyond 64 bits are data (a YAML document once failed where its JSON twin loaded),
    /// read as the nearest float exactly as `serde_json` reads them from JSON.
    #[test]
    fn yaml_integers_of_any_size_read_as_json_does() {
        let yaml = file(
            "a.yaml",
            "min: -9223372036854776000\nmax: 18446744073709551616000\nsmall: 7\n",
        )
        .parse()
        .expect("parses");
        let json = file(
            "a.json",
            r#"{"min": -9223372036854776000, "max": 18446744073709551616000, "small": 7}"#,
        )
        .parse()
        .expect("parses");
        assert_eq!(yaml, json);
        assert_eq!(yaml["small"], serde_json::json!(7));
    }

    #[test]
    fn yaml_tags_and_scalar_keys_read_as_json() {
        let value = file("a.yaml", "a: !custom {x: 1}\n1: one\ntrue: yes\nnull: n\n")
            .parse()
            .expect("parses");
        assert_eq!(
            value,
            serde_json::json!({"a": {"x": 1}, "1": "one", "true": "yes", "null": "n"})
        );
    }

    /// Columns on a one-line (minified) document are counted from the previous position, not
    /// from the line start: the same answers, in linear time.
    #[test]
    fn json_columns_on_one_line_are_exact() {
        let text = r#"{"a":{"é":[1,"x"]},"b":"yé","c":{"d":true}}"#;
        let src = file("min.json", text);
        let col = |pointer: &str| src.locate(pointer, false).col;
        let expect = |needle: &str| text[..text.find(needle).unwrap_or(0)].chars().count() + 1;
        assert_eq!(col("/a/\u{e9}/1"), expect("\"x\""));
        assert_eq!(col("/b"), expect("\"yé\""));
        assert_eq!(col("/c/d"), expect("true"));
        assert_eq!(col("/a/\u{e9}/0"), expect("1,"));
    }
}
