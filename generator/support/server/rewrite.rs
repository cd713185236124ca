//! Keeping the upstream inside: URLs in upstream bodies and headers that point at an upstream
//! API (management URLs such as `statusQueryGetUri`, `Location`, links in HTML or text pages)
//! are rewritten to this server's own routes, with the credential query parameters removed. A
//! URL with no exposed route is moved onto this server at the same place (under the prefix the
//! exposed routes add to the consumed paths, when they all add the same one), so that no
//! upstream origin ever reaches a client. As a last guard, any occurrence of a secret value is
//! replaced before a response leaves the server.

use serde_json::Value;

/// How an upstream path maps onto an exposed route.
#[derive(Debug)]
pub struct RouteLink {
    /// The consumed API (index into the upstream base URLs).
    pub api: usize,
    /// The consumed path template, relative to the upstream base URL (`/instances/{instanceId}`).
    pub consumed_path: &'static str,
    /// The exposed path template (`/v1/instances/{instanceid}`).
    pub exposed_path: &'static str,
    /// Consumed path variable → exposed path variable.
    pub variables: &'static [(&'static str, &'static str)],
    /// Consumed query parameter → exposed query parameter.
    pub query: &'static [(&'static str, &'static str)],
}

/// Rewrites upstream URLs for one server.
#[derive(Debug, Clone)]
pub struct Rewriter {
    /// The base URL of each consumed API.
    upstream_bases: Vec<String>,
    /// The origin (`scheme://host[:port]`, lower case) of each consumed API, with its searcher.
    origins: Vec<(String, memchr::memmem::Finder<'static>)>,
    /// What every exposed route adds in front of its consumed path, when they all add the same.
    route_prefix: String,
    links: &'static [RouteLink],
    secret_params: Vec<String>,
    /// The secret values, and their percent-encoded forms where those differ: text that must
    /// never leave the server, each with its searcher (built once: building one costs more than
    /// a short search).
    needles: Vec<(String, memchr::memmem::Finder<'static>)>,
}

const REDACTED: &str = "[redacted]";

impl Rewriter {
    /// `upstream_bases` are the base URLs requests go to (one per consumed API);
    /// `secret_params` the query parameters that carry credentials; `secrets` the credential
    /// values themselves.
    pub fn new(
        upstream_bases: &[String],
        links: &'static [RouteLink],
        secret_params: Vec<String>,
        secrets: Vec<String>,
    ) -> Rewriter {
        let mut needles = Vec::new();
        for secret in secrets.into_iter().filter(|it| it.len() >= 4) {
            let encoded =
                percent_encoding::utf8_percent_encode(&secret, percent_encoding::NON_ALPHANUMERIC)
                    .to_string();
            if encoded != secret {
                needles.push(encoded);
            }
            needles.push(secret);
        }
        // Longest first, so that a secret inside another is not replaced halfway; equal ones
        // end up side by side for `dedup`.
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        let needles = needles
            .into_iter()
            .map(|it| {
                let finder = memchr::memmem::Finder::new(it.as_bytes()).into_owned();
                (it, finder)
            })
            .collect();
        let mut origins: Vec<String> = upstream_bases.iter().filter_map(|it| origin(it)).collect();
        origins.sort();
        origins.dedup();
        let origins = origins
            .into_iter()
            .map(|it| {
                let finder = memchr::memmem::Finder::new(it.as_bytes()).into_owned();
                (it, finder)
            })
            .collect();
        Rewriter {
            upstream_bases: upstream_bases
                .iter()
                .map(|it| it.trim_end_matches('/').to_owned())
                .collect(),
            origins,
            route_prefix: route_prefix(links),
            links,
            secret_params,
            needles,
        }
    }

    /// Rewrites one URL to `public_base` (or, when it is empty, only removes the credentials).
    /// Returns `None` when `text` is not an absolute http(s) URL.
    pub fn rewrite_url(&self, text: &str, public_base: &str) -> Option<String> {
        if !is_absolute_http_url(text) {
            return None;
        }
        let (without_fragment, fragment) = match text.split_once('#') {
            Some((head, tail)) => (head, Some(tail)),
            None => (text, None),
        };
        let (location, query) = match without_fragment.split_once('?') {
            Some((head, tail)) => (head, Some(tail)),
            None => (without_fragment, None),
        };
        // The path of an upstream URL relative to its API's base, and the API.
        let relative = self
            .upstream_bases
            .iter()
            .enumerate()
            .find_map(|(api, base)| {
                let path = strip_prefix_ignore_case(location, base)
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'))?;
                Some((api, path))
            });
        let linked = relative.and_then(|(api, path)| self.link_for(api, path));
        let public = public_base.trim_end_matches('/');
        let mut res = match (&linked, relative) {
            (Some((link, values)), _) => {
                format!("{public}{}", fill(link.exposed_path, link, values))
            }
            // An upstream URL with no exposed route: moved onto this server all the same.
            (None, Some((_, path))) => format!("{public}{}{path}", self.route_prefix),
            (None, None) => match self.origin_of(location) {
                Some(len) => format!("{public}{}", &location[len..]),
                None => location.to_owned(),
            },
        };
        let pairs: Vec<String> = query
            .unwrap_or_default()
            .split('&')
            .filter(|it| !it.is_empty())
            .filter_map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                if self
                    .secret_params
                    .iter()
                    .any(|it| it.eq_ignore_ascii_case(name))
                {
                    return None;
                }
                let name = match &linked {
                    Some((link, _)) => link
                        .query
                        .iter()
                        .find(|(from, _)| *from == name)
                        .map(|it| it.1)
                        .unwrap_or(name),
                    None => name,
                };
                Some(if pair.contains('=') {
                    format!("{name}={value}")
                } else {
                    name.to_owned()
                })
            })
            .collect();
        if !pairs.is_empty() {
            res.push('?');
            res.push_str(&pairs.join("&"));
        }
        if let Some(fragment) = fragment {
            res.push('#');
            res.push_str(fragment);
        }
        Some(self.scrub(&res))
    }

    fn link_for(
        &self,
        api: usize,
        path: &str,
    ) -> Option<(&'static RouteLink, Vec<(&'static str, String)>)> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        'links: for link in self.links.iter().filter(|it| it.api == api) {
            let template: Vec<&str> = link.consumed_path.trim_matches('/').split('/').collect();
            if template.len() != segments.len() {
                continue;
            }
            let mut values = Vec::new();
            for (pattern, segment) in template.iter().zip(&segments) {
                match pattern
                    .strip_prefix('{')
                    .and_then(|it| it.strip_suffix('}'))
                {
                    Some(var) if !segment.is_empty() => {
                        values.push((var_name(link, var), reencode_segment(segment)))
                    }
                    Some(_) => continue 'links,
                    None if pattern.eq_ignore_ascii_case(segment) => {}
                    None => continue 'links,
                }
            }
            return Some((link, values));
        }
        None
    }

    /// The length of the upstream origin `url` starts with, if it starts with one.
    fn origin_of(&self, url: &str) -> Option<usize> {
        self.origins
            .iter()
            .find(|(origin, _)| {
                strip_prefix_ignore_case(url, origin)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?', '#']))
            })
            .map(|(origin, _)| origin.len())
    }

    /// Whether `bytes` mention an upstream origin (in any case).
    pub fn mentions_upstream(&self, bytes: &[u8]) -> bool {
        if self.origins.is_empty() {
            return false;
        }
        let lower = bytes.to_ascii_lowercase();
        self.origins
            .iter()
            .any(|(_, finder)| finder.find(&lower).is_some())
    }

    /// Rewrites every upstream URL inside free text (an HTML page, a plain-text error, an XML
    /// document, a sentence in a JSON string), then removes secrets. `None` when nothing changes.
    pub fn rewrite_text(&self, text: &str, public_base: &str) -> Option<String> {
        // An origin mention needs `://`: most text (header values above all) has none, and is
        // then only searched for secrets, without a lower-case copy.
        let mentions = memchr::memmem::find(text.as_bytes(), b"://").is_some()
            && self.mentions_upstream(text.as_bytes());
        let leaks = self.leaks(text.as_bytes());
        if !mentions && !leaks {
            return None;
        }
        let mut res = String::with_capacity(text.len());
        let mut rest = text;
        if mentions {
            let lower = text.to_ascii_lowercase();
            let mut done = 0;
            loop {
                let next = self
                    .origins
                    .iter()
                    .filter_map(|(_, finder)| finder.find(&lower.as_bytes()[done..]))
                    .min();
                let Some(offset) = next else { break };
                let start = done + offset;
                // The URL starts at its scheme: the origin search starts there already.
                let end = text[start..]
                    .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '`'))
                    .map_or(text.len(), |it| start + it);
                let url = &text[start..end];
                res.push_str(&text[done..start]);
                match self.rewrite_url(url, public_base) {
                    Some(rewritten) => res.push_str(&rewritten),
                    None => res.push_str(url),
                }
                done = end;
            }
            rest = &text[done..];
        }
        res.push_str(rest);
        Some(self.scrub(&res))
    }

    /// Rewrites every URL string inside a JSON value.
    pub fn rewrite_json(&self, value: &mut Value, public_base: &str) {
        match value {
            Value::String(text) => {
                if let Some(rewritten) = self.rewrite_url(text, public_base) {
                    *text = rewritten;
                } else if let Some(rewritten) = self.rewrite_text(text, public_base) {
                    *text = rewritten;
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|it| self.rewrite_json(it, public_base)),
            Value::Object(object) => object
                .values_mut()
                .for_each(|it| self.rewrite_json(it, public_base)),
            _ => {}
        }
    }

    /// Replaces every occurrence of a secret value (plain or percent-encoded).
    pub fn scrub(&self, text: &str) -> String {
        let mut res = text.to_owned();
        for (needle, _) in &self.needles {
            if res.contains(needle.as_str()) {
                res = res.replace(needle.as_str(), REDACTED);
            }
        }
        res
    }

    /// Whether `bytes` contain a secret value (plain or percent-encoded).
    pub fn leaks(&self, bytes: &[u8]) -> bool {
        self.needles
            .iter()
            .any(|(_, finder)| finder.find(bytes).is_some())
    }
}

/// Whether `text` starts with `http://` or `https://`, in any case.
pub fn is_absolute_http_url(text: &str) -> bool {
    ["http://", "https://"].iter().any(|scheme| {
        text.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    })
}

/// `scheme://host[:port]` of a URL, lower case.
fn origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// What every exposed route adds in front of its consumed path (`/v1`), when all add the same
/// prefix; empty otherwise.
fn route_prefix(links: &[RouteLink]) -> String {
    let mut prefixes = links.iter().map(|link| {
        let exposed = link.exposed_path.to_ascii_lowercase();
        let consumed = link.consumed_path.to_ascii_lowercase();
        let consumed_key = template_key(&consumed);
        let exposed_key = template_key(&exposed);
        exposed_key
            .strip_suffix(&consumed_key)
            .map(|prefix| link.exposed_path[..prefix.len()].to_owned())
    });
    let Some(Some(first)) = prefixes.next() else {
        return String::new();
    };
    if prefixes.all(|it| it.as_deref() == Some(first.as_str())) {
        first.trim_end_matches('/').to_owned()
    } else {
        String::new()
    }
}

/// A path template with every `{variable}` written as `{}` (so templates compare by shape).
fn template_key(path: &str) -> String {
    let mut res = String::with_capacity(path.len());
    let mut in_var = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_var = true;
                res.push('{');
            }
            '}' => {
                in_var = false;
                res.push('}');
            }
            _ if in_var => {}
            _ => res.push(c),
        }
    }
    res
}

fn var_name(link: &RouteLink, consumed: &str) -> &'static str {
    link.variables
        .iter()
        .find(|(from, _)| *from == consumed)
        .map(|it| it.1)
        .unwrap_or("")
}

fn fill(template: &str, _link: &RouteLink, values: &[(&'static str, String)]) -> String {
    let mut res = template.to_owned();
    for (name, value) in values {
        if !name.is_empty() {
            res = res.replace(&format!("{{{name}}}"), value);
        }
    }
    res
}

/// What a path segment of a rewritten URL escapes: everything that is not an RFC 3986 `pchar`,
/// and `+` (so that no one reads it as a space). `{` and `}` stay: upstreams put placeholders
/// such as `{eventName}` into their links.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'+')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'|');

/// An upstream path segment as a segment of this server's routes. Upstream links may encode
/// segments as HTML forms do (.NET `WebUtility.UrlEncode`: a space is `+`, a plus is `%2B`),
/// while this server decodes path segments per RFC 3986 (`+` is a plus), so the segment is
/// decoded and encoded again: `my+id` becomes `my%20id`, `a%2Bb` stays `a%2Bb`.
fn reencode_segment(segment: &str) -> String {
    let spaced = segment.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8_lossy();
    percent_encoding::utf8_percent_encode(&decoded, SEGMENT).to_string()
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    static LINKS: &[RouteLink] = &[RouteLink {
        api: 0,
        consumed_path: "/runtime/webhooks/durabletask/instances/{instanceId}/terminate",
        exposed_path: "/v1/runtime/webhooks/durabletask/instances/{instanceid}/terminate",
        variables: &[("instanceId", "instanceid")],
        query: &[("reason", "reason")],
    }];

    fn rewriter() -> Rewriter {
        Rewriter::new(
            &["http://127.0.0.1:7071".to_owned()],
            LINKS,
            vec!["code".into()],
            vec!["s3cret-key".into()],
        )
    }

    #[test]
    fn linked_urls_move_to_the_public_route_without_the_key() {
        let url = "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/a%20b/terminate?reason={text}&taskHub=H&code=s3cret-key";
        let res = rewriter()
            .rewrite_url(url, "http://proxy:8080")
            .expect("a URL");
        assert_eq!(
            res,
            "http://proxy:8080/v1/runtime/webhooks/durabletask/instances/a%20b/terminate?reason={text}&taskHub=H"
        );
    }

    #[test]
    fn form_encoded_segments_are_encoded_for_this_server() {
        let url = "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/my+id%2Bx/terminate?reason={text}";
        let res = rewriter()
            .rewrite_url(url, "http://proxy:8080")
            .expect("a URL");
        assert_eq!(
            res,
            "http://proxy:8080/v1/runtime/webhooks/durabletask/instances/my%20id%2Bx/terminate?reason={text}"
        );
    }

    #[test]
    fn unlinked_urls_move_onto_the_server_under_the_route_prefix() {
        let url = "http://127.0.0.1:7071/runtime/webhooks/durabletask/instances/x/restart?code=s3cret-key&taskHub=H";
        let res = rewriter()
            .rewrite_url(url, "http://proxy:8080")
            .expect("a URL");
        assert_eq!(
            res,
            "http://proxy:8080/v1/runtime/webhooks/durabletask/instances/x/restart?taskHub=H"
        );
    }

    #[test]
    fn urls_in_free_text_are_rewritten_and_the_origin_never_stays() {
        let page = "<html><a href=\"HTTP://127.0.0.1:7071/runtime/webhooks/durabletask/instances/i/terminate?code=s3cret-key\">stop</a> \
                    see http://127.0.0.1:7071/admin or http://other.example/x</html>";
        let res = rewriter()
            .rewrite_text(page, "http://proxy:8080")
            .expect("rewritten");
        assert_eq!(
            res,
            "<html><a href=\"http://proxy:8080/v1/runtime/webhooks/durabletask/instances/i/terminate\">stop</a> \
             see http://proxy:8080/v1/admin or http://other.example/x</html>"
        );
        assert!(!res.to_ascii_lowercase().contains("127.0.0.1:7071"));
        assert_eq!(rewriter().rewrite_text("nothing here", "http://p"), None);
    }

    #[test]
    fn the_route_prefix_is_what_every_route_adds() {
        assert_eq!(route_prefix(LINKS), "/v1");
        assert_eq!(route_prefix(&[]), "");
    }

    #[test]
    fn secrets_are_scrubbed_from_any_text() {
        assert_eq!(rewriter().scrub("key is s3cret-key!"), "key is [redacted]!");
        assert!(rewriter().leaks(b"xx s3cret-key"));
        assert!(!rewriter().leaks(b"xx s3cret-ke"));
    }

    #[test]
    fn percent_encoded_secrets_leak_too() {
        let rewriter = Rewriter::new(
            &["http://u".to_owned()],
            LINKS,
            vec![],
            vec!["a/b+c=".into()],
        );
        assert!(rewriter.leaks(b"code=a%2Fb%2Bc%3D"));
        assert_eq!(rewriter.scrub("code=a%2Fb%2Bc%3D"), "code=[redacted]");
    }

    #[test]
    fn a_secret_inside_another_is_replaced_whole() {
        let rewriter = Rewriter::new(
            &["http://u".to_owned()],
            LINKS,
            vec![],
            vec!["abcd".into(), "xxabcdxx".into(), "abcd".into()],
        );
        assert_eq!(
            rewriter.scrub("1 xxabcdxx 2 abcd"),
            "1 [redacted] 2 [redacted]"
        );
    }

    #[test]
    fn only_http_urls_are_absolute() {
        assert!(is_absolute_http_url("HTTPS://x"));
        assert!(is_absolute_http_url("http://x"));
        assert!(!is_absolute_http_url("ftp://x"));
        assert!(!is_absolute_http_url("http:/"));
        assert!(!is_absolute_http_url("é"));
    }
}
