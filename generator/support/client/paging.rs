//! Continuation-token paging that always ends.

use std::collections::BTreeSet;

/// The tokens seen so far. The next page is fetched only for a token that is present, not empty,
/// not `bnVsbA==` (base64 of `null`, sent forever by some servers) and not seen before.
#[derive(Clone, Debug, Default)]
pub(crate) struct PageTokens {
    seen: BTreeSet<String>,
}

impl PageTokens {
    /// Records the token the first request was sent with.
    pub(crate) fn start(&mut self, token: Option<&str>) {
        if let Some(token) = token {
            self.seen.insert(token.to_owned());
        }
    }

    /// The token to send for the next page, or `None` when paging is over.
    pub(crate) fn next(&mut self, token: Option<&str>) -> Option<String> {
        let token = token?.trim();
        if token.is_empty() || token == "bnVsbA==" || token == "null" {
            return None;
        }
        if !self.seen.insert(token.to_owned()) {
            return None;
        }
        Some(token.to_owned())
    }
}
