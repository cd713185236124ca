//! Documentation text from the document, made safe for rustdoc and clippy.
//!
//! Descriptions are Markdown written for web renderers. Left as is, they break `cargo doc -D
//! warnings` and even `cargo test`: fenced or indented code becomes a doctest, `[x]` becomes a
//! broken intra-doc link, `<id>` an unclosed HTML tag, a bare URL a lint. [`sanitize`] keeps
//! the text and defuses each of these.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc = ".."]` attributes for `text` (sanitised), one per line; nothing for empty text.
pub fn attrs(text: &str) -> TokenStream {
    let text = sanitize(text);
    if text.trim().is_empty() {
        return TokenStream::new();
    }
    let lines = text.lines().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    });
    quote! { #(#[doc = #lines])* }
}

/// `#[doc = ".."]` attributes for text capgen writes itself (already valid rustdoc).
pub fn own(text: &str) -> TokenStream {
    let lines = text.lines().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    });
    quote! { #(#[doc = #lines])* }
}

/// Joins paragraphs, skipping empty ones.
pub fn paragraphs<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let parts: Vec<&str> = parts
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|it| !it.is_empty())
        .collect();
    parts.join("\n\n")
}

/// Makes Markdown from an API description safe for rustdoc (see the module docs).
pub fn sanitize(text: &str) -> String {
    let text = text
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\t', "    ");
    let mut out: Vec<String> = Vec::new();
    let mut in_fence: Option<String> = None;
    let mut list_indent: Option<usize> = None;
    let mut in_quote = false;
    for raw_line in text.lines() {
        let line = raw_line.trim_end();
        let trimmed = line.trim_start();
        if let Some(fence) = &in_fence {
            if trimmed.starts_with(fence.as_str()) {
                out.push(fence.clone());
                in_fence = None;
            } else {
                out.push(line.to_owned());
            }
            continue;
        }
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            let fence: String = trimmed
                .chars()
                .take_while(|it| *it == '`' || *it == '~')
                .collect();
            out.push(format!("{fence}text"));
            in_fence = Some(fence);
            list_indent = None;
            in_quote = false;
            continue;
        }
        if trimmed.is_empty() {
            out.push(String::new());
            list_indent = None;
            in_quote = false;
            continue;
        }
        let escaped = escape_inline(trimmed);
        if let Some(width) = list_marker_width(trimmed) {
            list_indent = Some(width);
            in_quote = false;
            out.push(escaped);
            continue;
        }
        if trimmed.starts_with('>') {
            in_quote = true;
            out.push(escaped);
            continue;
        }
        if in_quote {
            // A line right after a quote would continue it lazily; end the quote instead.
            out.push(String::new());
            in_quote = false;
        }
        match list_indent {
            Some(width) => out.push(format!("{}{escaped}", " ".repeat(width))),
            None => out.push(escaped),
        }
    }
    if let Some(fence) = in_fence {
        out.push(fence);
    }
    while out.last().is_some_and(String::is_empty) {
        out.pop();
    }
    while out.first().is_some_and(String::is_empty) {
        out.remove(0);
    }
    let mut res: Vec<String> = Vec::new();
    for line in out {
        if line.is_empty() && res.last().is_some_and(String::is_empty) {
            continue;
        }
        res.push(line);
    }
    res.join("\n")
}

/// The width of a list marker (`- `, `* `, `+ `, `1. `) at the start of `line`.
fn list_marker_width(line: &str) -> Option<usize> {
    let marker = if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        1
    } else {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let rest = &line[digits..];
        if digits == 0 || digits >= 10 || !(rest.starts_with(". ") || rest.starts_with(") ")) {
            return None;
        }
        digits + 1
    };
    // Continuation lines align with the item's text, after the marker's spaces.
    let spaces = line[marker..].chars().take_while(|it| *it == ' ').count();
    Some(marker + spaces)
}

/// Escapes one line outside code spans: brackets that are not links, `<` that does not start
/// an autolink, bare URLs, and a leading `#` that is not a heading.
fn escape_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let chars: Vec<char> = line.chars().collect();
    let mut idx = 0;
    while idx < chars.len() {
        let ch = chars[idx];
        if ch == '`' {
            // A code span runs to the next run of the same number of backticks.
            let run = chars[idx..].iter().take_while(|it| **it == '`').count();
            let close = find_run(&chars, idx + run, run);
            match close {
                Some(end) => {
                    out.extend(&chars[idx..end + run]);
                    idx = end + run;
                }
                None => {
                    for _ in 0..run {
                        out.push_str("\\`");
                    }
                    idx += run;
                }
            }
            continue;
        }
        if ch == '\\' && idx + 1 < chars.len() {
            out.push(ch);
            out.push(chars[idx + 1]);
            idx += 2;
            continue;
        }
        if ch == '[' {
            if let Some(end) = link_end(&chars, idx) {
                let text: String = chars[idx..end].iter().collect();
                out.push_str(&text);
                idx = end;
                continue;
            }
            out.push_str("\\[");
            idx += 1;
            continue;
        }
        if ch == ']' {
            out.push_str("\\]");
            idx += 1;
            continue;
        }
        if ch == '<' {
            let rest: String = chars[idx + 1..].iter().collect();
            if (rest.starts_with("http://") || rest.starts_with("https://")) && rest.contains('>') {
                let end = rest.find('>').unwrap_or(0);
                out.push('<');
                out.push_str(&rest[..=end]);
                idx += 1 + rest[..=end].chars().count();
                continue;
            }
            out.push_str("&lt;");
            idx += 1;
            continue;
        }
        if ch == '>' && idx > 0 {
            out.push_str("&gt;");
            idx += 1;
            continue;
        }
        if ch == 'h' && (idx == 0 || !chars[idx - 1].is_alphanumeric()) {
            let rest: String = chars[idx..].iter().collect();
            if rest.starts_with("http://") || rest.starts_with("https://") {
                let len = rest
                    .find(|it: char| it.is_whitespace() || it == '"' || it == '\'')
                    .unwrap_or(rest.len());
                let url = rest[..len].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
                out.push('<');
                out.push_str(url);
                out.push('>');
                idx += url.chars().count();
                continue;
            }
        }
        out.push(ch);
        idx += 1;
    }
    out
}

fn find_run(chars: &[char], from: usize, run: usize) -> Option<usize> {
    let mut idx = from;
    while idx < chars.len() {
        if chars[idx] == '`' {
            let len = chars[idx..].iter().take_while(|it| **it == '`').count();
            if len == run {
                return Some(idx);
            }
            idx += len;
        } else {
            idx += 1;
        }
    }
    None
}

/// The end of a Markdown inline link `[text](target)` starting at `start`, if it is one.
fn link_end(chars: &[char], start: usize) -> Option<usize> {
    let mut depth = 0;
    let mut idx = start;
    while idx < chars.len() {
        match chars[idx] {
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        idx += 1;
    }
    if idx >= chars.len() || chars.get(idx + 1) != Some(&'(') {
        return None;
    }
    let target_start = idx + 2;
    let close = chars[target_start..].iter().position(|it| *it == ')')? + target_start;
    let target: String = chars[target_start..close].iter().collect();
    if !(target.starts_with("http://") || target.starts_with("https://") || target.starts_with('#'))
    {
        return None;
    }
    let text: String = chars[start + 1..idx].iter().collect();
    if text.contains(['[', ']', '`', '<']) {
        return None;
    }
    Some(close + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_blocks_become_text() {
        assert_eq!(
            sanitize("a\n```\nlet x = [1];\n```"),
            "a\n```text\nlet x = [1];\n```"
        );
        assert_eq!(sanitize("```json\n{}"), "```text\n{}\n```");
    }

    #[test]
    fn indentation_cannot_make_code() {
        assert_eq!(sanitize("Example:\n\n    GET /x"), "Example:\n\nGET /x");
    }

    #[test]
    fn brackets_html_and_urls() {
        assert_eq!(
            sanitize("see [docs](https://x.y/z) or [1]"),
            "see [docs](https://x.y/z) or \\[1\\]"
        );
        assert_eq!(sanitize("an <id> tag"), "an &lt;id&gt; tag");
        assert_eq!(sanitize("at https://x.y/z."), "at <https://x.y/z>.");
        assert_eq!(sanitize("at <https://x.y/z>"), "at <https://x.y/z>");
        assert_eq!(sanitize("`[x] <y>` stays"), "`[x] <y>` stays");
        assert_eq!(sanitize("odd ` tick"), "odd \\` tick");
    }

    #[test]
    fn lazy_list_continuations_are_indented() {
        assert_eq!(sanitize("- one\ntwo\n\nthree"), "- one\n  two\n\nthree");
        assert_eq!(sanitize("*   one\ntwo"), "*   one\n    two");
        assert_eq!(sanitize("10. ten\nmore"), "10. ten\n    more");
        assert_eq!(sanitize("> quote\nafter"), "> quote\n\nafter");
    }
}
