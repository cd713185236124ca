//! The Naftiko engine's conversion tests, on the engine's own sample payloads
//! (`../shared/naftiko/framework-tests/resources/schemas/`): what each
//! `io.naftiko.engine.consumes.http.*IntegrationTest` asserts of the converted document.

use std::path::PathBuf;

use capgen_server_runtime::support::formats::{Format, to_json};
use serde_json::{Value, json};

fn sample(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/naftiko/framework-tests/resources/schemas")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn convert(format: Format, selector: Option<&str>, name: &str) -> Value {
    to_json(format, selector, &sample(name)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

/// XmlIntegrationTest.testXmlResponseConversion: the root element is dropped; `user` is an array
/// of three with string fields.
#[test]
fn xml_sample() {
    let document = convert(Format::Xml, None, "sample-users.xml");
    let users = document["user"].as_array().expect("user is an array");
    assert_eq!(users.len(), 3);
    assert_eq!(
        users[0],
        json!({"id": "1", "name": "Alice Smith", "email": "alice@example.com"})
    );
    assert_eq!(users[1]["name"], "Bob Johnson");
}

/// CsvIntegrationTest.testCsvResponseConversion (and the TSV/PSV samples): three rows keyed by
/// the header.
#[test]
fn delimited_samples() {
    for (format, name) in [
        (Format::Csv, "sample-users.csv"),
        (Format::Tsv, "sample-users.tsv"),
        (Format::Psv, "sample-users.psv"),
    ] {
        let rows = convert(format, None, name);
        assert_eq!(rows.as_array().map(Vec::len), Some(3), "{name}");
        assert_eq!(rows[0]["id"], "1", "{name}");
        assert_eq!(rows[0]["name"], "Alice Smith", "{name}");
        assert_eq!(rows[0]["email"], "alice@example.com", "{name}");
    }
}

/// YamlIntegrationTest.testYamlResponseConversion: `users` is an array of three.
#[test]
fn yaml_sample() {
    let document = convert(Format::Yaml, None, "sample-users.yaml");
    assert_eq!(document["users"].as_array().map(Vec::len), Some(3));
    assert_eq!(document["users"][2]["name"], "Carol White");
}

/// HtmlIntegrationTest.testHtmlResponseConversion: `table.products` gives one table of two rows.
#[test]
fn html_sample() {
    let document = convert(Format::Html, Some("table.products"), "sample-products.html");
    let tables = document["tables"].as_array().expect("tables");
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].as_array().map(Vec::len), Some(2));
    assert_eq!(tables[0][0]["Name"], "Widget");
    assert_eq!(tables[0][1]["Price"], "$99");
}

/// MarkdownIntegrationTest.testMarkdownResponseConversion: the front matter's title, one table
/// (`Status` of the first row is `GA`), and `Overview` as the first section.
#[test]
fn markdown_sample() {
    let document = convert(Format::Markdown, None, "sample-readme.md");
    assert_eq!(document["frontMatter"]["title"], "Product Release Notes");
    assert_eq!(document["tables"].as_array().map(Vec::len), Some(1));
    assert_eq!(document["tables"][0][0]["Status"], "GA");
    assert_eq!(document["sections"][0]["heading"], "Overview");
    assert_eq!(document["sections"][0]["level"], 2);
}
