//! Query-string and URL helpers that mimic the .NET primitives used by the
//! Durable Functions extension (`WebUtility.UrlDecode`, `WebUtility.UrlEncode`,
//! `NameValueCollection`, `bool.TryParse`, `int.TryParse`, `double.TryParse`).

/// Decodes like .NET `WebUtility.UrlDecode`: `+` becomes a space, `%XX`
/// becomes a byte, malformed escapes are kept literally, and the resulting
/// bytes are read as UTF-8 (invalid sequences become U+FFFD).
pub(crate) fn url_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' if i + 2 < bytes.len() => {
                match (hex_value(bytes[i + 1]), hex_value(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high * 16 + low);
                        i += 3;
                    }
                    _ => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Encodes like .NET `WebUtility.UrlEncode`: ASCII letters, digits and
/// `-_.!*()` are kept, a space becomes `+`, every other byte of the UTF-8
/// encoding becomes `%XX` (upper-case hex).
pub(crate) fn url_encode(input: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(input.len());
    for &byte in input.as_bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

/// A parsed query string with the semantics of the `NameValueCollection`
/// the extension builds: names compare case-insensitively, values are
/// `WebUtility.UrlDecode`d, and reading a name that occurs several times
/// yields its values joined with `,`.
#[derive(Debug, Default, Clone)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Parses the raw query (without the leading `?`).
    pub(crate) fn parse(raw: &str) -> Self {
        let pairs = raw
            .split('&')
            .filter(|part| !part.is_empty())
            .map(|part| match part.split_once('=') {
                Some((name, value)) => (url_decode(name), url_decode(value)),
                None => (url_decode(part), String::new()),
            })
            .collect();
        Query { pairs }
    }

    /// All values of `name`, in request order.
    pub(crate) fn values(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The value of `name` like `NameValueCollection[name]`: `None` when
    /// absent, the values joined with `,` when repeated.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let values = self.values(name);
        if values.is_empty() {
            None
        } else {
            Some(values.join(","))
        }
    }

    /// `bool.TryParse` of the value: `true`/`false` in any case, surrounding
    /// white space allowed; anything else counts as "not supplied".
    pub(crate) fn get_bool(&self, name: &str) -> Option<bool> {
        let value = self.get(name)?;
        let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if trimmed.eq_ignore_ascii_case("true") {
            Some(true)
        } else if trimmed.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }

    /// `int.TryParse` of the value (32-bit, optional sign, surrounding
    /// white space allowed).
    pub(crate) fn get_i32(&self, name: &str) -> Option<i32> {
        parse_dotnet_int(&self.get(name)?)
    }

    /// `double.TryParse` of the value, for the `timeout` and
    /// `pollingInterval` parameters (seconds).
    pub(crate) fn get_f64(&self, name: &str) -> Option<f64> {
        let value = self.get(name)?;
        let parsed: f64 = value.trim().parse().ok()?;
        parsed.is_finite().then_some(parsed)
    }

    /// A value that is present and not blank (as `GetClient` reads
    /// `taskHub` and `connection`).
    pub(crate) fn get_non_blank(&self, name: &str) -> Option<String> {
        self.get(name).filter(|value| !value.trim().is_empty())
    }
}

/// `int.TryParse` semantics: optional surrounding white space, optional sign,
/// decimal digits, must fit in 32 bits.
pub(crate) fn parse_dotnet_int(value: &str) -> Option<i32> {
    let trimmed = value.trim();
    let digits = trimmed.strip_prefix('+').unwrap_or(trimmed);
    if digits.starts_with('+') {
        return None;
    }
    digits.parse::<i32>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_plus_and_percent() {
        assert_eq!(url_decode("a+b%20c%2Fd"), "a b c/d");
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        assert_eq!(url_decode("%C3%A9"), "é");
    }

    #[test]
    fn encode_like_webutility() {
        assert_eq!(url_encode("my id/é"), "my+id%2F%C3%A9");
        assert_eq!(url_encode("A-z_0.!*()"), "A-z_0.!*()");
    }

    #[test]
    fn query_semantics() {
        let query =
            Query::parse("showInput=TRUE&runtimeStatus=Running&RUNTIMESTATUS=Failed&top=%205&x");
        assert_eq!(query.get_bool("SHOWINPUT"), Some(true));
        assert_eq!(
            query.get("runtimeStatus").as_deref(),
            Some("Running,Failed")
        );
        assert_eq!(query.get_i32("top"), Some(5));
        assert_eq!(query.get("x").as_deref(), Some(""));
        assert_eq!(query.get("missing"), None);
        let repeated = Query::parse("showInput=true&showInput=false");
        assert_eq!(repeated.get_bool("showInput"), None);
    }
}
