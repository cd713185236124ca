//! Mustache templates as the Naftiko engine renders them (JMustache, HTML escaping off, missing
//! names rendered empty): `{{name}}`, `{{{name}}}`, `{{&name}}`, dotted names, sections
//! `{{#name}}…{{/name}}` over lists and truthy values, inverted sections `{{^name}}…{{/name}}`,
//! and comments `{{! … }}`. Strings render as they are, other JSON values as JSON text.

use serde_json::Value;

/// Looks a name up for a template.
pub trait Context {
    /// The value of `name` (dotted names included), if any.
    fn lookup(&self, name: &str) -> Option<Value>;
}

impl<F: Fn(&str) -> Option<Value>> Context for F {
    fn lookup(&self, name: &str) -> Option<Value> {
        self(name)
    }
}

/// A value as template text.
pub fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `name` in `map`: the key itself, else a dotted path into object members (and array
/// indices), as JMustache reads `{{step.field}}`.
pub fn lookup_dotted<'v>(map: &'v serde_json::Map<String, Value>, name: &str) -> Option<&'v Value> {
    if let Some(found) = map.get(name) {
        return Some(found);
    }
    let (head, rest) = name.split_once('.')?;
    let mut current = map.get(head)?;
    for part in rest.split('.') {
        current = match current {
            Value::Object(members) => members.get(part)?,
            Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(current)
}

/// Whether `template` has any tag at all (a template without tags renders as itself).
pub fn has_tags(template: &str) -> bool {
    template.contains("{{")
}

/// Renders `template` against `context`. An unclosed tag is left as written (the caller
/// reports leftover `{{`).
pub fn render(template: &str, context: &dyn Context) -> String {
    if !has_tags(template) {
        return template.to_owned();
    }
    let mut out = String::with_capacity(template.len());
    render_into(template, &[], context, &mut out);
    out
}

/// One parsed tag.
struct Tag<'a> {
    kind: char,
    name: &'a str,
    /// Byte offset just past the tag.
    end: usize,
}

/// The next tag at or after `from`: (start offset, tag).
fn next_tag(template: &str, from: usize) -> Option<(usize, Tag<'_>)> {
    let start = from + template[from..].find("{{")?;
    let after = &template[start + 2..];
    if let Some(triple) = after.strip_prefix('{') {
        let close = triple.find("}}}")?;
        return Some((
            start,
            Tag {
                kind: '&',
                name: triple[..close].trim(),
                end: start + 3 + close + 3,
            },
        ));
    }
    let close = after.find("}}")?;
    let inner = after[..close].trim();
    let (kind, name) = match inner.chars().next() {
        Some(c @ ('#' | '^' | '/' | '!' | '&' | '>')) => (c, inner[1..].trim()),
        _ => (' ', inner),
    };
    Some((
        start,
        Tag {
            kind,
            name,
            end: start + 2 + close + 2,
        },
    ))
}

/// The offset of the `{{/name}}` closing the section whose body starts at `from`, and the
/// offset just past it.
fn section_end(template: &str, from: usize, name: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let mut pos = from;
    while let Some((start, tag)) = next_tag(template, pos) {
        match tag.kind {
            '#' | '^' if tag.name == name => depth += 1,
            '/' if tag.name == name => {
                if depth == 0 {
                    return Some((start, tag.end));
                }
                depth -= 1;
            }
            _ => {}
        }
        pos = tag.end;
    }
    None
}

/// Looks `name` up in the section scopes (innermost first), then in the context.
fn lookup(name: &str, scopes: &[&Value], context: &dyn Context) -> Option<Value> {
    if name == "." {
        return scopes.last().map(|it| (*it).clone());
    }
    for scope in scopes.iter().rev() {
        if let Some(found) = field(scope, name) {
            return Some(found.clone());
        }
    }
    context.lookup(name)
}

/// A dotted name inside a JSON value.
fn field<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    let mut current = value;
    for part in name.split('.') {
        current = current.as_object()?.get(part)?;
    }
    Some(current)
}

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(it) => *it,
        Value::String(it) => !it.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

fn render_into(template: &str, scopes: &[&Value], context: &dyn Context, out: &mut String) {
    let mut pos = 0;
    while let Some((start, tag)) = next_tag(template, pos) {
        out.push_str(&template[pos..start]);
        pos = tag.end;
        match tag.kind {
            '!' | '/' | '>' => {}
            '#' | '^' => {
                let Some((body_end, after)) = section_end(template, tag.end, tag.name) else {
                    // An unclosed section: keep the text as written.
                    out.push_str(&template[start..tag.end]);
                    continue;
                };
                let body = &template[tag.end..body_end];
                let value = lookup(tag.name, scopes, context).unwrap_or(Value::Null);
                if tag.kind == '^' {
                    if !truthy(&value) {
                        render_into(body, scopes, context, out);
                    }
                } else if let Value::Array(items) = &value {
                    for item in items {
                        let mut inner: Vec<&Value> = scopes.to_vec();
                        inner.push(item);
                        render_into(body, &inner, context, out);
                    }
                } else if truthy(&value) {
                    let mut inner: Vec<&Value> = scopes.to_vec();
                    inner.push(&value);
                    render_into(body, &inner, context, out);
                }
                pos = after;
            }
            _ => {
                if let Some(value) = lookup(tag.name, scopes, context) {
                    out.push_str(&text(&value));
                }
            }
        }
    }
    out.push_str(&template[pos..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx(value: Value) -> impl Fn(&str) -> Option<Value> {
        move |name: &str| field(&value, name).cloned()
    }

    #[test]
    fn names_render_and_missing_ones_are_empty() {
        let context = ctx(json!({"a": "x", "n": 5, "b": true, "list": [1, 2], "o": {"k": "v"}}));
        assert_eq!(
            render("{{a}}-{{ n }}-{{b}}-{{missing}}-", &context),
            "x-5-true--"
        );
        assert_eq!(
            render("{{list}} {{{o}}} {{&a}} {{o.k}}", &context),
            "[1,2] {\"k\":\"v\"} x v"
        );
        assert_eq!(render("<{{a}}>&", &context), "<x>&", "no HTML escaping");
    }

    #[test]
    fn sections_iterate_and_inverted_sections_negate() {
        let context = ctx(json!({"items": [{"n": 1}, {"n": 2}], "flag": false, "empty": []}));
        assert_eq!(render("{{#items}}[{{n}}]{{/items}}", &context), "[1][2]");
        assert_eq!(
            render("{{^flag}}off{{/flag}}{{#flag}}on{{/flag}}", &context),
            "off"
        );
        assert_eq!(render("{{^empty}}none{{/empty}}", &context), "none");
        assert_eq!(render("{{! comment }}ok", &context), "ok");
    }

    #[test]
    fn dotted_names_walk_objects_and_arrays() {
        let Value::Object(map) = json!({"a.b": 1, "s": {"x": {"y": 2}, "l": [3, 4]}}) else {
            unreachable!()
        };
        assert_eq!(
            lookup_dotted(&map, "a.b"),
            Some(&json!(1)),
            "the key itself first"
        );
        assert_eq!(lookup_dotted(&map, "s.x.y"), Some(&json!(2)));
        assert_eq!(lookup_dotted(&map, "s.l.1"), Some(&json!(4)));
        assert_eq!(lookup_dotted(&map, "s.missing"), None);
    }

    #[test]
    fn unclosed_tags_stay_as_written() {
        let context = ctx(json!({"a": "x"}));
        assert_eq!(render("{{a}} {{b", &context), "x {{b");
        assert_eq!(render("{{#a}} open", &context), "{{#a}} open");
    }
}
