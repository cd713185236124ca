//! Which of a few names printed Rust code uses, to choose a file's `use` items.
//!
//! A small lexer over the text prettyplease printed: it skips comments and string, byte and
//! character literals (so a name in a doc comment or a message does not import anything) and
//! compares every identifier with the watched names. Scanning text costs a fraction of walking
//! token trees, which `proc_macro2` can only do by copying them.

use std::collections::BTreeSet;

/// Records which of `names` occur in the Rust source `text`: `name` as any identifier,
/// `name::` as an identifier that heads a path (so a module can be told apart from a
/// parameter of the same name).
pub fn names_used(text: &str, names: &[String], out: &mut BTreeSet<String>) {
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        if let Some((raw, quote)) = literal_prefix(bytes, at) {
            at = if raw {
                raw_string_end(bytes, quote)
            } else if bytes[quote] == b'\'' {
                char_or_lifetime_end(bytes, quote)
            } else {
                string_end(bytes, quote + 1)
            };
            continue;
        }
        at = match byte {
            b'/' if bytes.get(at + 1) == Some(&b'/') => line_end(bytes, at),
            b'/' if bytes.get(at + 1) == Some(&b'*') => block_comment_end(bytes, at),
            b'"' => string_end(bytes, at + 1),
            b'\'' => char_or_lifetime_end(bytes, at),
            _ if is_ident_start(byte) => {
                let end = ident_end(bytes, at);
                let ident = &text[at..end];
                let heads_path = text[end..].starts_with("::");
                for name in names {
                    let matched = match name.strip_suffix("::") {
                        Some(module) => heads_path && ident == module,
                        None => ident == name,
                    };
                    if matched && !out.contains(name) {
                        out.insert(name.clone());
                    }
                }
                end
            }
            _ => at + 1,
        };
    }
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_ident_continue(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte >= 0x80
}

fn ident_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    while at < bytes.len() && is_ident_continue(bytes[at]) {
        at += 1;
    }
    at
}

fn line_end(bytes: &[u8], start: usize) -> usize {
    bytes[start..]
        .iter()
        .position(|it| *it == b'\n')
        .map_or(bytes.len(), |it| start + it + 1)
}

/// Past the `*/` that closes the comment opened at `start` (block comments nest).
fn block_comment_end(bytes: &[u8], start: usize) -> usize {
    let mut depth = 0;
    let mut at = start;
    while at + 1 < bytes.len() {
        match (bytes[at], bytes[at + 1]) {
            (b'/', b'*') => {
                depth += 1;
                at += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return at;
                }
            }
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Past the closing `"` of a string whose content starts at `start`.
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// For a literal prefix at `start` (`r"`, `r#"`, `b"`, `b'`, `br"`, `c"`, `cr#"` …) not inside
/// an identifier: whether it is raw, and where its quote (or first `#`) is.
fn literal_prefix(bytes: &[u8], start: usize) -> Option<(bool, usize)> {
    if !matches!(bytes[start], b'r' | b'b' | b'c')
        || (start > 0 && is_ident_continue(bytes[start - 1]))
    {
        return None;
    }
    let mut at = start;
    if matches!(bytes[at], b'b' | b'c') {
        at += 1;
    }
    let raw = bytes.get(at) == Some(&b'r');
    if raw {
        at += 1;
    }
    match bytes.get(at)? {
        b'"' => Some((raw, at)),
        b'#' if raw => Some((true, at)),
        b'\'' if !raw && bytes[start] == b'b' && at == start + 1 => Some((false, at)),
        _ => None,
    }
}

/// Past a raw string whose `#`s or quote start at `start`.
fn raw_string_end(bytes: &[u8], start: usize) -> usize {
    let hashes = bytes[start..].iter().take_while(|it| **it == b'#').count();
    let mut at = start + hashes + 1;
    while at < bytes.len() {
        if bytes[at] == b'"'
            && bytes.len() >= at + 1 + hashes
            && bytes[at + 1..at + 1 + hashes].iter().all(|it| *it == b'#')
        {
            return at + 1 + hashes;
        }
        at += 1;
    }
    bytes.len()
}

/// Past a character literal (`'a'`, `'\n'`, `'\u{1F600}'`) or a lifetime's quote (`'a`).
fn char_or_lifetime_end(bytes: &[u8], start: usize) -> usize {
    match bytes.get(start + 1) {
        Some(b'\\') => bytes[start + 2..]
            .iter()
            .position(|it| *it == b'\'')
            .map_or(bytes.len(), |it| start + 2 + it + 1),
        Some(_) => {
            // One character (of any UTF-8 length) and a closing quote: a literal; else a lifetime.
            let rest = std::str::from_utf8(&bytes[start + 1..]).ok();
            let width = rest
                .and_then(|it| it.chars().next())
                .map_or(1, char::len_utf8);
            if bytes.get(start + 1 + width) == Some(&b'\'') {
                start + 2 + width
            } else {
                start + 1
            }
        }
        None => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let names: Vec<String> = ["Error", "types::", "Style", "PageTokens"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut out = BTreeSet::new();
        names_used(text, &names, &mut out);
        out.into_iter().collect()
    }

    #[test]
    fn identifiers_in_code_count() {
        assert_eq!(found("fn f() -> Result<(), Error> {}"), ["Error"]);
        assert_eq!(found("let x: types::Pet = y;"), ["types::"]);
        assert_eq!(
            found("let s = Style::Form; g(PageTokens::default())"),
            ["PageTokens", "Style"]
        );
    }

    #[test]
    fn comments_literals_and_longer_names_do_not() {
        assert!(found("/// Error and types::Pet and Style").is_empty());
        assert!(found("// Error\n/* Style /* nested */ PageTokens */").is_empty());
        assert!(found(r#"let m = "an Error: \" types::X"; let r = r"Style";"#).is_empty());
        assert!(found(r###"let r = r#"Error "quoted" Style"#;"###).is_empty());
        assert!(found("let b = b\"Error\"; let c = b'E'; let d = br#\"Style\"#;").is_empty());
        assert!(found("let types = 1; let e = MyError; let s = Styles;").is_empty());
    }

    #[test]
    fn lifetimes_and_char_literals_do_not_hide_what_follows() {
        assert_eq!(found("fn f<'a>(x: &'a str) -> Error {}"), ["Error"]);
        assert_eq!(found("let q = '\"'; let e: Error;"), ["Error"]);
        assert_eq!(
            found("let q = '\\''; let p = 'é'; x::<types::T>()"),
            ["types::"]
        );
    }
}
