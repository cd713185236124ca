//! `outputRawFormat`: upstream bodies read as JSON before output mappings, as the Naftiko engine
//! converts them. Each conversion but JSON sits behind a Cargo feature of the same name, on by
//! default for the formats the capability uses.

use serde_json::{Map, Value};

/// How an upstream body is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON.
    Json,
    /// XML (the root element's content; elements become fields, repeated elements arrays,
    /// attributes fields, text beside them the field `""`).
    Xml,
    /// YAML (the first document).
    Yaml,
    /// Comma-separated values with a header row.
    Csv,
    /// Tab-separated values with a header row.
    Tsv,
    /// Pipe-separated values with a header row.
    Psv,
    /// An HTML table (the `outputSchema` CSS selector picks it).
    Html,
    /// Markdown (front matter, tables and sections; the `outputSchema` heading prefix picks
    /// sections).
    Markdown,
    /// Not converted: JSON if it parses, else the text.
    Raw,
}

/// The body as JSON.
pub fn to_json(format: Format, selector: Option<&str>, body: &[u8]) -> Result<Value, String> {
    match format {
        Format::Json => {
            serde_json::from_slice(body).map_err(|err| format!("the body is not valid JSON: {err}"))
        }
        Format::Raw => Ok(serde_json::from_slice(body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))),
        Format::Xml => xml(body),
        Format::Yaml => yaml(body),
        Format::Csv => separated(body, b','),
        Format::Tsv => separated(body, b'\t'),
        Format::Psv => separated(body, b'|'),
        Format::Html => html(body, selector),
        Format::Markdown => markdown(body, selector),
    }
}

fn missing(feature: &str) -> Result<Value, String> {
    Err(format!(
        "this server was built without the `{feature}` feature, which reads this answer"
    ))
}

/// Adds `value` under `name`, turning a repeated name into an array.
#[allow(dead_code)]
fn insert_repeated(object: &mut Map<String, Value>, name: String, value: Value) {
    match object.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None => {
            object.insert(name, value);
        }
    }
}

#[cfg(feature = "xml")]
fn xml(body: &[u8]) -> Result<Value, String> {
    use quick_xml::events::Event;

    /// An element being read: its fields and its text.
    struct Open {
        name: String,
        fields: Map<String, Value>,
        text: String,
    }

    impl Open {
        fn close(self) -> (String, Value) {
            let text = self.text.trim().to_owned();
            if self.fields.is_empty() {
                return (self.name, Value::String(text));
            }
            let mut fields = self.fields;
            if !text.is_empty() {
                fields.insert(String::new(), Value::String(text));
            }
            (self.name, Value::Object(fields))
        }
    }

    fn open(start: &quick_xml::events::BytesStart<'_>) -> Result<Open, String> {
        let name = start.local_name().into_inner().to_owned();
        let mut fields = Map::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|err| format!("the body is not valid XML: {err}"))?;
            let key = attribute.key.local_name().into_inner().to_owned();
            if key == "xmlns" || attribute.key.into_inner().starts_with("xmlns:") {
                continue;
            }
            let value = attribute
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("the body is not valid XML: {err}"))?;
            fields.insert(key, Value::String(value.into_owned()));
        }
        Ok(Open {
            name,
            fields,
            text: String::new(),
        })
    }

    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<(String, Value)> = None;
    loop {
        let event = reader
            .read_event()
            .map_err(|err| format!("the body is not valid XML: {err}"))?;
        match event {
            Event::Start(start) => stack.push(open(&start)?),
            Event::Empty(start) => {
                let (name, value) = open(&start)?.close();
                match stack.last_mut() {
                    Some(parent) => insert_repeated(&mut parent.fields, name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::End(_) => {
                let Some(element) = stack.pop() else {
                    return Err("the body is not valid XML: unbalanced end tag".to_owned());
                };
                let (name, value) = element.close();
                match stack.last_mut() {
                    Some(parent) => insert_repeated(&mut parent.fields, name, value),
                    None => root = Some((name, value)),
                }
            }
            Event::Text(text) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&data.xml10_content());
                }
            }
            Event::GeneralRef(reference) => {
                if let Some(current) = stack.last_mut() {
                    let text = match &*reference.xml10_content() {
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "amp" => "&".to_owned(),
                        "apos" => "'".to_owned(),
                        "quot" => "\"".to_owned(),
                        other => match reference.resolve_char_ref() {
                            Ok(Some(c)) => c.to_string(),
                            _ => format!("&{other};"),
                        },
                    };
                    current.text.push_str(&text);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    // As Jackson's `XmlMapper.readTree`, which the engine uses: the root element's name is
    // dropped and its content is the document.
    match root {
        Some((_, value)) => Ok(value),
        None => Err("the body is not valid XML: no root element".to_owned()),
    }
}

#[cfg(not(feature = "xml"))]
fn xml(_body: &[u8]) -> Result<Value, String> {
    missing("xml")
}

#[cfg(feature = "yaml")]
fn yaml(body: &[u8]) -> Result<Value, String> {
    yaml_serde::from_slice(body).map_err(|err| format!("the body is not valid YAML: {err}"))
}

#[cfg(not(feature = "yaml"))]
fn yaml(_body: &[u8]) -> Result<Value, String> {
    missing("yaml")
}

#[cfg(feature = "csv")]
fn separated(body: &[u8], delimiter: u8) -> Result<Value, String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|err| format!("the body is not valid delimited text: {err}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        let record =
            record.map_err(|err| format!("the body is not valid delimited text: {err}"))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let row: Map<String, Value> = headers
            .iter()
            .zip(record.iter())
            .map(|(name, value)| (name.clone(), Value::String(value.to_owned())))
            .collect();
        rows.push(Value::Object(row));
    }
    Ok(Value::Array(rows))
}

#[cfg(not(feature = "csv"))]
fn separated(_body: &[u8], _delimiter: u8) -> Result<Value, String> {
    missing("csv")
}

/// `{"tables": [[{header: cell, …}, …], …]}`, as the engine reads HTML (jsoup): every table the
/// `outputSchema` CSS selector picks (a picked element that is not a table contributes the
/// tables inside it; no selector: every table). Headers are the `th` of the first row of
/// `thead` (else of the first row); a table without headers is skipped. Rows are those of
/// `tbody` (else every row), skipping rows with a `th` and rows without `td`; a missing cell is
/// `""`. Cell text is trimmed, whitespace collapsed.
#[cfg(feature = "html")]
fn html(body: &[u8], selector: Option<&str>) -> Result<Value, String> {
    use scraper::{ElementRef, Html, Selector};

    let parse = |css: &str| {
        Selector::parse(css).map_err(|err| format!("`{css}` is not a CSS selector: {err}"))
    };
    let text = String::from_utf8_lossy(body);
    let document = Html::parse_document(&text);
    let tables_css = parse("table")?;
    let head_cells = parse("thead tr:first-child th")?;
    let first_row_cells = parse("tr:first-child th")?;
    let body_rows = parse("tbody tr")?;
    let all_rows = parse("tr")?;
    let th = parse("th")?;
    let td = parse("td")?;
    let cell_text = |cell: ElementRef<'_>| -> String {
        cell.text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut tables: Vec<ElementRef<'_>> = Vec::new();
    match selector.map(str::trim).filter(|it| !it.is_empty()) {
        None => tables.extend(document.select(&tables_css)),
        Some(css) => {
            for found in document.select(&parse(css)?) {
                if found.value().name().eq_ignore_ascii_case("table") {
                    tables.push(found);
                } else {
                    tables.extend(found.select(&tables_css));
                }
            }
        }
    }
    let mut converted = Vec::new();
    for table in tables {
        let mut headers: Vec<String> = table.select(&head_cells).map(cell_text).collect();
        if headers.is_empty() {
            headers = table.select(&first_row_cells).map(cell_text).collect();
        }
        if headers.iter().all(String::is_empty) {
            continue;
        }
        let mut rows: Vec<ElementRef<'_>> = table.select(&body_rows).collect();
        if rows.is_empty() {
            rows = table.select(&all_rows).collect();
        }
        let records: Vec<Value> = rows
            .into_iter()
            .filter(|row| row.select(&th).next().is_none())
            .filter_map(|row| {
                let cells: Vec<String> = row.select(&td).map(cell_text).collect();
                (!cells.is_empty()).then(|| record(&headers, cells))
            })
            .collect();
        converted.push(Value::Array(records));
    }
    let mut document = Map::new();
    document.insert("tables".to_owned(), Value::Array(converted));
    Ok(Value::Object(document))
}

/// One row keyed by the headers (a missing cell is `""`).
#[allow(dead_code)]
fn record(headers: &[String], cells: Vec<String>) -> Value {
    let mut cells = cells.into_iter();
    Value::Object(
        headers
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    Value::String(cells.next().unwrap_or_default()),
                )
            })
            .collect(),
    )
}

#[cfg(not(feature = "html"))]
fn html(_body: &[u8], _selector: Option<&str>) -> Result<Value, String> {
    missing("html")
}

/// `{"frontMatter": {…}, "tables": [[row, …], …], "sections": [{"heading", "level",
/// "content"}, …]}`, as the engine reads Markdown (commonmark with GFM tables): the YAML front
/// matter between `---` lines (typed, `{}` without one), every table of the document keyed by
/// its header cells, and one section per heading with the text of the blocks up to the next
/// heading (tables excluded, code and HTML blocks carry no text). `outputSchema` keeps only the
/// sections whose heading starts with it.
#[cfg(feature = "markdown")]
fn markdown(body: &[u8], selector: Option<&str>) -> Result<Value, String> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    let (front_matter, content) = split_front_matter(&text)?;
    let filter = selector.filter(|it| !it.trim().is_empty());

    let mut tables: Vec<Value> = Vec::new();
    let mut sections: Vec<Value> = Vec::new();
    // The open heading: (text, level) and the texts of its blocks.
    let mut section: Option<(String, u8, Vec<String>)> = None;
    let close = |section: Option<(String, u8, Vec<String>)>, sections: &mut Vec<Value>| {
        let Some((heading, level, blocks)) = section else {
            return;
        };
        if filter.is_some_and(|prefix| !heading.starts_with(prefix)) {
            return;
        }
        let content = blocks
            .iter()
            .map(|it| it.trim())
            .filter(|it| !it.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let mut object = Map::new();
        object.insert("heading".to_owned(), Value::String(heading));
        object.insert("level".to_owned(), Value::from(level));
        object.insert("content".to_owned(), Value::String(content));
        sections.push(Value::Object(object));
    };

    let mut depth = 0usize;
    let mut heading: Option<(String, u8)> = None;
    let mut block = String::new();
    let mut in_code = false;
    let mut in_table = false;
    let mut cell = String::new();
    let mut row: Vec<String> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut records: Vec<Value> = Vec::new();
    for event in Parser::new_ext(content, Options::ENABLE_TABLES) {
        match event {
            Event::Start(tag) => {
                depth += 1;
                match tag {
                    Tag::Heading { level, .. } if depth == 1 => {
                        heading = Some((String::new(), level as u8));
                    }
                    Tag::Table(_) => {
                        in_table = true;
                        header.clear();
                        records.clear();
                    }
                    Tag::TableHead | Tag::TableRow => row.clear(),
                    Tag::TableCell => cell.clear(),
                    Tag::CodeBlock(_) => in_code = true,
                    _ => {}
                }
            }
            Event::End(tag) => {
                depth = depth.saturating_sub(1);
                match tag {
                    TagEnd::Heading(_) if depth == 0 => {
                        close(section.take(), &mut sections);
                        if let Some((text, level)) = heading.take() {
                            section = Some((text.trim().to_owned(), level, Vec::new()));
                        }
                    }
                    TagEnd::TableCell => row.push(cell.trim().to_owned()),
                    TagEnd::TableHead => header = std::mem::take(&mut row),
                    TagEnd::TableRow => records.push(record(&header, std::mem::take(&mut row))),
                    TagEnd::Table => {
                        in_table = false;
                        if header.iter().any(|it| !it.is_empty()) {
                            tables.push(Value::Array(std::mem::take(&mut records)));
                        }
                    }
                    TagEnd::CodeBlock => in_code = false,
                    _ => {}
                }
                if depth == 0 && !in_table && !block.is_empty() {
                    if let Some((_, _, blocks)) = &mut section {
                        blocks.push(std::mem::take(&mut block));
                    } else {
                        block.clear();
                    }
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if in_code {
                    continue;
                }
                if let Some((heading_text, _)) = &mut heading {
                    heading_text.push_str(&text);
                } else if in_table {
                    cell.push_str(&text);
                } else {
                    block.push_str(&text);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                let separator = if matches!(event, Event::SoftBreak) {
                    ' '
                } else {
                    '\n'
                };
                if let Some((heading_text, _)) = &mut heading {
                    heading_text.push(separator);
                } else if in_table {
                    cell.push(separator);
                } else {
                    block.push(separator);
                }
            }
            _ => {}
        }
    }
    close(section.take(), &mut sections);
    let mut document = Map::new();
    document.insert("frontMatter".to_owned(), front_matter);
    document.insert("tables".to_owned(), Value::Array(tables));
    document.insert("sections".to_owned(), Value::Array(sections));
    Ok(Value::Object(document))
}

/// The YAML front matter (`---\n…\n---\n` at the very start) as JSON, and the rest.
#[cfg(feature = "markdown")]
fn split_front_matter(text: &str) -> Result<(Value, &str), String> {
    let empty = Value::Object(Map::new());
    let Some(rest) = text.strip_prefix("---\n") else {
        return Ok((empty, text));
    };
    let Some(end) = rest.find("\n---\n") else {
        return Ok((empty, text));
    };
    let block = rest[..end].trim();
    let body = &rest[end + 5..];
    if block.is_empty() {
        return Ok((empty, body));
    }
    let parsed: Value = yaml_serde::from_str(block)
        .map_err(|err| format!("the Markdown front matter is not valid YAML: {err}"))?;
    Ok((if parsed.is_object() { parsed } else { empty }, body))
}

#[cfg(not(feature = "markdown"))]
fn markdown(_body: &[u8], _selector: Option<&str>) -> Result<Value, String> {
    missing("markdown")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[cfg(feature = "csv")]
    #[test]
    fn delimited_rows_are_keyed_by_the_header() {
        let rows = json!([{"id": "1", "name": "Ada, Countess"}, {"id": "2", "name": "Bob"}]);
        let csv = b"id,name\n1,\"Ada, Countess\"\n2,Bob\n\n";
        assert_eq!(to_json(Format::Csv, None, csv).ok(), Some(rows.clone()));
        let tsv = b"id\tname\n1\tAda, Countess\n2\tBob\n";
        assert_eq!(to_json(Format::Tsv, None, tsv).ok(), Some(rows.clone()));
        let psv = b"id|name\n1|Ada, Countess\n2|Bob\n";
        assert_eq!(to_json(Format::Psv, None, psv).ok(), Some(rows));
    }

    #[cfg(feature = "xml")]
    #[test]
    fn xml_keeps_attributes_and_text_and_drops_the_root() {
        let xml = br#"<?xml version="1.0"?><ship imo="9321483"><name>Ada &amp; Co</name><tag>a</tag><tag>b</tag><note lang="en">old</note><empty/></ship>"#;
        assert_eq!(
            to_json(Format::Xml, None, xml).ok(),
            Some(json!({
                "imo": "9321483",
                "name": "Ada & Co",
                "tag": ["a", "b"],
                "note": {"lang": "en", "": "old"},
                "empty": ""
            }))
        );
        assert!(to_json(Format::Xml, None, b"<a><b></a>").is_err());
    }

    #[cfg(feature = "yaml")]
    #[test]
    fn yaml_reads_as_json() {
        assert_eq!(
            to_json(Format::Yaml, None, b"name: Alice\nage: 42\n").ok(),
            Some(json!({"name": "Alice", "age": 42}))
        );
    }

    #[cfg(feature = "html")]
    #[test]
    fn html_tables_are_picked_by_selector() {
        let html = b"<table class='a'><tr><th>K</th></tr><tr><td> x </td></tr></table>\
                     <div class='b'><table><tr><th>N</th><th>M</th></tr><tr><td>1</td><td>2</td></tr></table></div>";
        assert_eq!(
            to_json(Format::Html, Some("div.b"), html).ok(),
            Some(json!({"tables": [[{"N": "1", "M": "2"}]]}))
        );
        assert_eq!(
            to_json(Format::Html, None, html).ok(),
            Some(json!({"tables": [[{"K": "x"}], [{"N": "1", "M": "2"}]]}))
        );
    }

    #[cfg(feature = "html")]
    #[test]
    fn html_headers_come_from_the_first_row_and_header_rows_are_skipped() {
        let html = b"<table><tr><th>A</th><th>B</th></tr><tr><td>1</td></tr><tr><th>x</th></tr></table><table><tr><td>no header</td></tr></table>";
        assert_eq!(
            to_json(Format::Html, None, html).ok(),
            Some(json!({"tables": [[{"A": "1", "B": ""}]]}))
        );
    }

    #[cfg(feature = "markdown")]
    #[test]
    fn markdown_has_front_matter_tables_and_sections() {
        let text = b"---\ntitle: Notes\nversion: 2\n---\n\n## Overview\nThis is **bold**\nand `code`.\n\n| Feature | Status |\n|---|---|\n| HTML | GA |\n\n```\nignored\n```\n\n### Details\n- one\n- two\n";
        let all = to_json(Format::Markdown, None, text).ok();
        assert_eq!(
            all,
            Some(json!({
                "frontMatter": {"title": "Notes", "version": 2},
                "tables": [[{"Feature": "HTML", "Status": "GA"}]],
                "sections": [
                    {"heading": "Overview", "level": 2, "content": "This is bold and code."},
                    {"heading": "Details", "level": 3, "content": "onetwo"}
                ]
            }))
        );
        let picked = to_json(Format::Markdown, Some("Det"), text).ok();
        assert_eq!(
            picked.map(|it| it["sections"].clone()),
            Some(json!([{"heading": "Details", "level": 3, "content": "onetwo"}]))
        );
    }

    #[test]
    fn raw_bodies_are_json_or_text() {
        assert_eq!(to_json(Format::Raw, None, b"[1]").ok(), Some(json!([1])));
        assert_eq!(
            to_json(Format::Raw, None, b"plain").ok(),
            Some(json!("plain"))
        );
        assert!(to_json(Format::Json, None, b"plain").is_err());
    }
}
