//! The input of `join!` / `try_join!`: an optional `biased;`, then futures separated by
//! commas, a trailing comma allowed.

use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Error, Expr, Ident, Token};

use super::Kind;

/// The most futures one `join!` takes: it waits on them as a `select!` does on its branches,
/// one bit each in a `u64`.
const MAX_FUTURES: usize = 64;

/// What the macro was given.
pub(super) struct Input {
    /// `biased;` came first: every poll polls the futures in the order written.
    pub(super) biased: bool,
    /// The future expressions, in order.
    pub(super) futures: Vec<Expr>,
}

pub(super) fn parse(kind: Kind, input: TokenStream) -> syn::Result<Input> {
    let (biased, futures) = (|input: ParseStream<'_>| {
        // `biased` followed by `;`: a future named `biased` is followed by `,` or nothing.
        let biased = input.peek(Ident)
            && input.peek2(Token![;])
            && input
                .fork()
                .parse::<Ident>()
                .is_ok_and(|ident| ident == "biased");
        if biased {
            input.parse::<Ident>()?;
            input.parse::<Token![;]>()?;
        }
        let futures = Punctuated::<Expr, Token![,]>::parse_terminated(input)?;
        Ok((biased, futures))
    })
    .parse2(input)?;
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
    Ok(Input {
        biased,
        futures: futures.into_iter().collect(),
    })
}
