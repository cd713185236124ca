//! Identifier rules: every Rust name capgen emits is decided here, so the client, server and
//! MCP emitters spell the same thing the same way.
//!
//! Names come from the document (schema names, property names, enum values, `operationId`s)
//! and are turned into Rust identifiers with `heck`. Keywords get a trailing `_` (`type` becomes
//! `type_`), names that would start with a digit get a prefix, and names that collide inside
//! one scope get a numeric suffix ([`Scope::claim`]).

use std::collections::BTreeSet;

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Rust keywords (strict, reserved and edition-dependent), which cannot be plain identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "Self", "static", "struct", "super", "trait", "true", "try", "type",
    "typeof", "union", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `name` is a Rust keyword.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// A type name (`UpperCamelCase`): `pet-store.Order` becomes `PetStoreOrder`.
pub fn type_name(raw: &str) -> String {
    let res = ident_chars(&split_digit_runs(raw).to_upper_camel_case());
    let res = if res.is_empty() {
        "Type".to_owned()
    } else {
        res
    };
    finish_camel(res, "Type")
}

/// A name joined from parts that are already type names (`Entity` + `EntityId`): kept as it is
/// when it is a valid identifier, so `T` + `B` stays `TB` rather than being re-cased to `Tb`.
pub fn joined_type_name(joined: &str) -> String {
    let valid = joined.starts_with(|it: char| it.is_ascii_uppercase())
        && joined
            .chars()
            .all(|it| it.is_ascii_alphanumeric() || it == '_');
    if valid {
        finish_camel(joined.to_owned(), "Type")
    } else {
        type_name(joined)
    }
}

/// `200Response` has no word boundary for heck between `0` and `R`; add one.
fn split_digit_runs(raw: &str) -> String {
    let mut res = String::with_capacity(raw.len() + 4);
    let mut previous: Option<char> = None;
    for ch in raw.chars() {
        if previous.is_some_and(|it| it.is_ascii_digit()) && ch.is_ascii_uppercase() {
            res.push('_');
        }
        res.push(ch);
        previous = Some(ch);
    }
    res
}

/// A field, parameter or method name (`snake_case`): `runtimeStatus` becomes `runtime_status`,
/// `type` becomes `type_`, `$ref` becomes `ref_`.
pub fn field_name(raw: &str) -> String {
    let res = ident_chars(&raw.to_snake_case());
    if res.is_empty() {
        let spelled = spell_symbols(raw).join("_").to_snake_case();
        return if spelled.is_empty() {
            "value".to_owned()
        } else {
            finish_snake(spelled)
        };
    }
    finish_snake(res)
}

/// An enum variant for a string value. Leading symbols are spelled out so that values which
/// differ only in them stay apart: `+1` is `Plus1`, `-created` is `MinusCreated`, `.` is `Dot`,
/// the empty string is `Empty`, `1` is `V1`.
pub fn variant_name(raw: &str) -> String {
    if raw.is_empty() {
        return "Empty".to_owned();
    }
    let lead: String = raw.chars().take_while(|it| !it.is_alphanumeric()).collect();
    let rest = &raw[lead.len()..];
    let mut words = spell_symbols(&lead);
    words.push(rest.to_upper_camel_case());
    let res: String = words.iter().map(|it| it.to_upper_camel_case()).collect();
    let res = ident_chars(&res);
    if res.is_empty() {
        return "Value".to_owned();
    }
    finish_camel(res, "V")
}

/// The name of a server variable, parameter or header as a Rust identifier (same as
/// [`field_name`]).
pub fn param_name(raw: &str) -> String {
    field_name(raw)
}

/// Whether `name` is one Rust identifier (keywords included). `Ident::new` panics on anything
/// else.
fn is_ident(name: &str) -> bool {
    use syn::ext::IdentExt as _;
    syn::parse::Parser::parse_str(syn::Ident::parse_any, name).is_ok()
}

/// `name` without the characters that cannot be part of an identifier: heck keeps every
/// alphanumeric character, and some are not identifier characters (`²`, `½`).
fn ident_chars(name: &str) -> String {
    name.chars()
        .filter(|it| {
            it.is_ascii_alphanumeric()
                || *it == '_'
                || (!it.is_ascii() && is_ident(&format!("a{it}")))
        })
        .collect()
}

/// Whether `name` (made of identifier characters) needs a prefix to start an identifier: it
/// starts with a digit (ASCII or not) or a combining mark.
fn needs_prefix(name: &str) -> bool {
    name.starts_with(|it: char| it.is_ascii_digit()) || !name.is_ascii() && !is_ident(name)
}

fn finish_camel(name: String, digit_prefix: &str) -> String {
    let name = if needs_prefix(&name) {
        format!("{digit_prefix}{name}")
    } else {
        name
    };
    if is_keyword(&name) {
        format!("{name}_")
    } else {
        name
    }
}

fn finish_snake(name: String) -> String {
    let name = if needs_prefix(&name) {
        format!("_{name}")
    } else {
        name
    };
    if is_keyword(&name) {
        format!("{name}_")
    } else {
        name
    }
}

/// Spells out symbols as words (`+` is `plus`), one word per symbol; other characters are
/// dropped.
fn spell_symbols(text: &str) -> Vec<String> {
    text.chars()
        .filter_map(|it| {
            let word = match it {
                '+' => "plus",
                '-' => "minus",
                '.' => "dot",
                '*' => "star",
                '/' => "slash",
                '\\' => "backslash",
                '@' => "at",
                '#' => "hash",
                '$' => "dollar",
                '%' => "percent",
                '&' => "and",
                '=' => "eq",
                '<' => "lt",
                '>' => "gt",
                '!' => "not",
                '?' => "question",
                '~' => "tilde",
                ':' => "colon",
                ',' => "comma",
                ';' => "semicolon",
                '|' => "pipe",
                '^' => "caret",
                '_' => "underscore",
                ' ' => "space",
                _ => return None,
            };
            Some(word.to_owned())
        })
        .collect()
}

/// One namespace of identifiers (the items of a module, the fields of a struct, the variants of
/// an enum). Claims are first come, first served; a later claim of a taken name gets the
/// smallest free numeric suffix.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    taken: BTreeSet<String>,
}

impl Scope {
    pub fn new() -> Scope {
        Scope::default()
    }

    /// A scope in which `reserved` are already taken.
    pub fn with_reserved(reserved: &[&str]) -> Scope {
        Scope {
            taken: reserved.iter().map(|it| (*it).to_owned()).collect(),
        }
    }

    /// Claims `name`, or `name2`, `name3`, … if it is taken. Snake-case names get `_2`.
    pub fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_owned()) {
            return name.to_owned();
        }
        let separator = if name.contains(|it: char| it.is_ascii_uppercase()) {
            ""
        } else {
            "_"
        };
        let base = name.trim_end_matches('_');
        let mut idx = 2;
        loop {
            let candidate = format!("{base}{separator}{idx}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            idx += 1;
        }
    }

    /// Marks `name` as taken without claiming it through the suffix rule.
    pub fn reserve(&mut self, name: &str) {
        self.taken.insert(name.to_owned());
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }
}

/// The canonical reason-phrase name of an HTTP status for enum variants (`404` is `NotFound`),
/// `Status{code}` for codes without a well-known phrase.
pub fn status_variant(code: u16) -> String {
    let phrase = match code {
        100 => "Continue",
        101 => "SwitchingProtocols",
        200 => "Ok",
        201 => "Created",
        202 => "Accepted",
        203 => "NonAuthoritativeInformation",
        204 => "NoContent",
        205 => "ResetContent",
        206 => "PartialContent",
        207 => "MultiStatus",
        300 => "MultipleChoices",
        301 => "MovedPermanently",
        302 => "Found",
        303 => "SeeOther",
        304 => "NotModified",
        307 => "TemporaryRedirect",
        308 => "PermanentRedirect",
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        407 => "ProxyAuthenticationRequired",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "LengthRequired",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        414 => "UriTooLong",
        415 => "UnsupportedMediaType",
        416 => "RangeNotSatisfiable",
        417 => "ExpectationFailed",
        418 => "ImATeapot",
        421 => "MisdirectedRequest",
        422 => "UnprocessableEntity",
        423 => "Locked",
        424 => "FailedDependency",
        425 => "TooEarly",
        426 => "UpgradeRequired",
        428 => "PreconditionRequired",
        429 => "TooManyRequests",
        431 => "RequestHeaderFieldsTooLarge",
        451 => "UnavailableForLegalReasons",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        505 => "HttpVersionNotSupported",
        507 => "InsufficientStorage",
        508 => "LoopDetected",
        511 => "NetworkAuthenticationRequired",
        _ => return format!("Status{code}"),
    };
    phrase.to_owned()
}

/// The variant name of a status range (`4XX` is `ClientError`).
pub fn range_variant(class: u8) -> String {
    match class {
        1 => "Informational".to_owned(),
        2 => "Success".to_owned(),
        3 => "Redirection".to_owned(),
        4 => "ClientError".to_owned(),
        5 => "ServerError".to_owned(),
        _ => format!("Status{class}xx"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names() {
        assert_eq!(type_name("pet-store.Order"), "PetStoreOrder");
        assert_eq!(type_name("InstanceStatus"), "InstanceStatus");
        assert_eq!(type_name("200Response"), "Type200Response");
        assert_eq!(type_name("self"), "Self_");
        assert_eq!(type_name("$$"), "Type");
    }

    #[test]
    fn field_names() {
        assert_eq!(field_name("runtimeStatus"), "runtime_status");
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("$ref"), "ref_");
        assert_eq!(field_name("self"), "self_");
        assert_eq!(
            field_name("x-ms-continuation-token"),
            "x_ms_continuation_token"
        );
        assert_eq!(field_name("+1"), "_1");
        assert_eq!(field_name("@"), "at");
        assert_eq!(field_name(""), "value");
        assert_eq!(field_name("2fa"), "_2fa");
    }

    #[test]
    fn variant_names_keep_odd_values_apart() {
        assert_eq!(variant_name("."), "Dot");
        assert_eq!(variant_name("-"), "Minus");
        assert_eq!(variant_name("+1"), "Plus1");
        assert_eq!(variant_name("-1"), "Minus1");
        assert_eq!(variant_name("1"), "V1");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("-created"), "MinusCreated");
        assert_eq!(variant_name("in_progress"), "InProgress");
        assert_eq!(variant_name("Self"), "Self_");
        assert_eq!(variant_name("X"), "X");
    }

    /// A crash found while fuzzing (`pipeline`): `Pet²` reached `format_ident!`, which panics on
    /// characters that are alphanumeric but not identifier characters.
    #[test]
    fn names_keep_only_identifier_characters() {
        assert_eq!(type_name("Pet²"), "Pet");
        assert_eq!(type_name("Café"), "Café");
        assert_eq!(type_name("٣x"), "Type٣x");
        assert_eq!(field_name("x²"), "x");
        assert_eq!(field_name("½"), "value");
        assert_eq!(field_name("٣x"), "_٣x");
        assert_eq!(variant_name("²"), "Value");
        assert_eq!(variant_name("x½y"), "Xy");
        for name in [
            type_name("٣x"),
            field_name("٣x"),
            field_name("x²"),
            variant_name("x½y"),
        ] {
            let _ = quote::format_ident!("{name}");
        }
    }

    #[test]
    fn scope_suffixes_collisions() {
        let mut scope = Scope::with_reserved(&["send"]);
        assert_eq!(scope.claim("send"), "send_2");
        assert_eq!(scope.claim("id"), "id");
        assert_eq!(scope.claim("id"), "id_2");
        assert_eq!(scope.claim("Pet"), "Pet");
        assert_eq!(scope.claim("Pet"), "Pet2");
        assert_eq!(scope.claim("type_"), "type_");
        assert_eq!(scope.claim("type_"), "type_2");
    }

    #[test]
    fn statuses() {
        assert_eq!(status_variant(404), "NotFound");
        assert_eq!(status_variant(299), "Status299");
        assert_eq!(range_variant(4), "ClientError");
    }
}
