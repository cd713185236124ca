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
    /// Markdown (front matter, sections and tables).
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

/// `{"tables": [[{header: cell, …}, …], …]}`: every table the `outputSchema` CSS selector picks
/// (a picked element that is not a table contributes the tables inside it), each a list of rows
/// keyed by the header cells; without a selector, every table of the page.
#[cfg(feature = "html")]
fn html(body: &[u8], selector: Option<&str>) -> Result<Value, String> {
    use scraper::{ElementRef, Html, Selector};

    let text = String::from_utf8_lossy(body);
    let document = Html::parse_document(&text);
    let pick = Selector::parse(selector.unwrap_or("table"))
        .map_err(|err| format!("`{}` is not a CSS selector: {err}", selector.unwrap_or("")))?;
    let table_selector = Selector::parse("table").map_err(|err| err.to_string())?;
    let row_selector = Selector::parse("tr").map_err(|err| err.to_string())?;
    let cell_selector = Selector::parse("th, td").map_err(|err| err.to_string())?;
    let cell_text = |cell: ElementRef<'_>| -> String {
        cell.text()
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut tables: Vec<ElementRef<'_>> = Vec::new();
    for found in document.select(&pick) {
        if found.value().name() == "table" {
            tables.push(found);
        } else {
            tables.extend(found.select(&table_selector));
        }
    }
    let rows_of = |table: ElementRef<'_>| -> Value {
        let mut rows = table.select(&row_selector);
        let Some(header) = rows.next() else {
            return Value::Array(Vec::new());
        };
        let names: Vec<String> = header.select(&cell_selector).map(cell_text).collect();
        Value::Array(
            rows.map(|row| {
                let object: Map<String, Value> = names
                    .iter()
                    .zip(row.select(&cell_selector).map(cell_text))
                    .map(|(name, value)| (name.clone(), Value::String(value)))
                    .collect();
                Value::Object(object)
            })
            .collect(),
        )
    };
    let mut document = Map::new();
    document.insert(
        "tables".to_owned(),
        Value::Array(tables.into_iter().map(rows_of).collect()),
    );
    Ok(Value::Object(document))
}

#[cfg(not(feature = "html"))]
fn html(_body: &[u8], _selector: Option<&str>) -> Result<Value, String> {
    missing("html")
}

#[cfg(feature = "markdown")]
fn markdown(body: &[u8], selector: Option<&str>) -> Result<Value, String> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    let text = String::from_utf8_lossy(body);
    let (front_matter, content) = split_front_matter(&text);
    let mut document = Map::new();
    if let Some(front_matter) = front_matter {
        for line in front_matter.lines() {
            if let Some((key, value)) = line.split_once(':') {
                let value = value.trim().trim_matches('"').to_owned();
                document.insert(key.trim().to_owned(), Value::String(value));
            }
        }
    }
    let mut tables: Vec<Value> = Vec::new();
    let mut in_heading = false;
    let mut heading = String::new();
    let mut current_heading: Option<String> = None;
    let mut row: Vec<String> = Vec::new();
    let mut header: Vec<String> = Vec::new();
    let mut records: Vec<Value> = Vec::new();
    let mut cell = String::new();
    let mut in_cell = false;
    let mut table_heading: Option<String> = None;
    for event in Parser::new_ext(content, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::Heading { .. }) => {
                in_heading = true;
                heading.clear();
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                current_heading = Some(heading.trim().to_owned());
            }
            Event::Start(Tag::Table(_)) => {
                header.clear();
                records.clear();
                table_heading = current_heading.clone();
            }
            Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => row.clear(),
            Event::End(TagEnd::TableHead) => header = std::mem::take(&mut row),
            Event::End(TagEnd::TableRow) => {
                let object: Map<String, Value> = header
                    .iter()
                    .zip(row.drain(..))
                    .map(|(name, value)| (name.clone(), Value::String(value)))
                    .collect();
                records.push(Value::Object(object));
            }
            Event::Start(Tag::TableCell) => {
                in_cell = true;
                cell.clear();
            }
            Event::End(TagEnd::TableCell) => {
                in_cell = false;
                row.push(cell.trim().to_owned());
            }
            Event::End(TagEnd::Table) => {
                let wanted = match (selector, &table_heading) {
                    (None, _) => true,
                    (Some(prefix), Some(title)) => {
                        title.starts_with(prefix.trim_start_matches('#').trim())
                    }
                    (Some(_), None) => false,
                };
                if wanted {
                    tables.push(Value::Array(std::mem::take(&mut records)));
                }
            }
            Event::Text(text) | Event::Code(text) => {
                if in_cell {
                    cell.push_str(&text);
                } else if in_heading {
                    heading.push_str(&text);
                }
            }
            _ => {}
        }
    }
    if selector.is_some() {
        return Ok(tables
            .into_iter()
            .next()
            .unwrap_or(Value::Array(Vec::new())));
    }
    document.insert("tables".to_owned(), Value::Array(tables));
    Ok(Value::Object(document))
}

#[cfg(feature = "markdown")]
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    let Some(rest) = text.strip_prefix("---") else {
        return (None, text);
    };
    let rest = rest.trim_start_matches(['\r', '\n']);
    match rest.find("\n---") {
        Some(end) => {
            let after = &rest[end + 4..];
            (Some(&rest[..end]), after.trim_start_matches(['\r', '\n']))
        }
        None => (None, text),
    }
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
