//! Formatting token streams as Rust source, in parallel for the large files.
//!
//! `proc_macro2` token streams are neither `Send` nor `Sync`, so a large file is not built as one
//! stream: each worker thread builds, parses and prints its share of the items from the shared
//! (read-only) model, and the texts are joined in item order. The output does not depend on the
//! number of threads, and the memory held at once is one item's tokens and syntax tree per thread,
//! not the whole file's.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use proc_macro2::TokenStream;

use crate::emit::names_used::names_used;

/// Items claimed by a worker at a time: large enough to keep the counter cold, small enough to
/// balance items of very different sizes.
const BLOCK: usize = 32;

/// Below this many items, threads cost more than they save.
const PARALLEL_FROM: usize = 4 * BLOCK;

/// Parses `tokens` as a file and prints it with prettyplease (without preamble or spacing).
pub fn unparse(what: &str, tokens: TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens)
        .map_err(|err| format!("internal error: generated {what} is not valid Rust: {err}"))?;
    Ok(prettyplease::unparse(&file))
}

/// Items printed by [`format_items`], and which of the watched identifiers they use.
#[derive(Debug, Default)]
pub struct FormattedItems {
    pub text: String,
    /// The watched names found (see [`names_used`]).
    pub idents: BTreeSet<String>,
}

/// Builds item `i` with `make(i)` for every `i < count` and prints them in order, noting which
/// of the names in `watch` the items use.
pub fn format_items<F>(
    what: &str,
    count: usize,
    watch: &[String],
    make: F,
) -> Result<FormattedItems, String>
where
    F: Fn(usize) -> TokenStream + Sync,
{
    let workers = if count < PARALLEL_FROM {
        1
    } else {
        std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(count.div_ceil(BLOCK))
    };
    let blocks: Vec<Mutex<Option<Result<String, String>>>> = (0..count.div_ceil(BLOCK))
        .map(|_| Mutex::new(None))
        .collect();
    let next_block = AtomicUsize::new(0);
    let work = || -> BTreeSet<String> {
        let mut idents = BTreeSet::new();
        loop {
            let block = next_block.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = blocks.get(block) else {
                return idents;
            };
            let range = block * BLOCK..((block + 1) * BLOCK).min(count);
            let result = format_block(what, range, &make, watch, &mut idents);
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(result);
            }
        }
    };
    let ident_sets: Vec<BTreeSet<String>> = if workers <= 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .map(|handle| handle.join().unwrap_or_default())
                .collect()
        })
    };
    let mut out = FormattedItems::default();
    for set in ident_sets {
        out.idents.extend(set);
    }
    for block in blocks {
        let text = block.into_inner().ok().flatten().unwrap_or_else(|| {
            Err(format!(
                "internal error: {what}: a formatting worker failed"
            ))
        })?;
        out.text.push_str(&text);
    }
    Ok(out)
}

fn format_block<F>(
    what: &str,
    range: std::ops::Range<usize>,
    make: &F,
    watch: &[String],
    found: &mut BTreeSet<String>,
) -> Result<String, String>
where
    F: Fn(usize) -> TokenStream,
{
    let mut text = String::new();
    for index in range {
        let item = unparse(what, make(index))?;
        if !watch.is_empty() {
            names_used(&item, watch, found);
        }
        text.push_str(&item);
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::{format_ident, quote};

    fn item(index: usize) -> TokenStream {
        let name = format_ident!("S{index}");
        quote!(pub struct #name { pub field: types::T })
    }

    #[test]
    fn parallel_output_equals_one_file() {
        let count = 3 * PARALLEL_FROM + 7;
        let last = format!("S{}", count - 1);
        let watch = ["types::".to_owned(), last.clone(), "field::".to_owned()];
        let items = format_items("test", count, &watch, item).expect("valid");
        let whole: TokenStream = (0..count).map(item).collect();
        assert_eq!(items.text, unparse("test", whole).expect("valid"));
        let expected: BTreeSet<String> = ["types::".to_owned(), last].into();
        assert_eq!(items.idents, expected);
    }

    #[test]
    fn an_invalid_item_is_an_error() {
        let made = format_items("test", PARALLEL_FROM + 1, &[], |index| {
            if index == PARALLEL_FROM {
                quote!(fn)
            } else {
                item(index)
            }
        });
        assert!(made.is_err());
    }
}
