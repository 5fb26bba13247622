//! The input of `join!` / `try_join!`: futures separated by commas, a trailing comma allowed.

use proc_macro2::TokenStream;
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Token};

use super::Kind;

/// The most futures one `join!` takes: it waits on them as a `select!` does on its branches,
/// one bit each in a `u64`.
const MAX_FUTURES: usize = 64;

/// The future expressions, in order.
pub(super) fn parse(kind: Kind, input: TokenStream) -> syn::Result<Vec<Expr>> {
    let futures = Punctuated::<Expr, Token![,]>::parse_terminated.parse2(input)?;
    if futures.len() > MAX_FUTURES {
        // At the first future past the limit, so the reader sees where to split.
        let extra = futures
            .iter()
            .nth(MAX_FUTURES)
            .expect("more than the limit");
        return Err(Error::new_spanned(
            extra,
            format!(
                "{} takes at most {MAX_FUTURES} futures, not {}: join them in groups",
                kind.name(),
                futures.len()
            ),
        ));
    }
    Ok(futures.into_iter().collect())
}
