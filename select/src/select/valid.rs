//! The rules the parser leaves to this stage: where `biased;` and `else` may go, and how
//! many branches there may be.

use proc_macro2::Span;
use syn::{Error, Expr};

use super::ast::{Branch, Entry, Input};

/// One bit per branch in the runtime's `u64` masks.
pub(crate) const MAX_BRANCHES: usize = 64;

/// A `select!` that can be expanded.
pub(crate) struct Select {
    pub(crate) biased: bool,
    /// Up to [`MAX_BRANCHES`] of them; none only beside an `else`.
    pub(crate) branches: Vec<Branch>,
    pub(crate) else_handler: Option<Expr>,
}

/// Checks `input`. Returns the `select!` to expand, if one can be (a mistake that leaves the
/// meaning clear, such as a second `else`, still expands, ignoring the extra part), and an
/// error for each mistake.
pub(crate) fn validate(input: Input) -> (Option<Select>, Vec<Error>) {
    let mut errors = Vec::new();
    let mut biased = false;
    let mut branches = Vec::new();
    let mut else_handler = None;
    for (position, entry) in input.entries.into_iter().enumerate() {
        match entry {
            Entry::Biased(_) if position == 0 => biased = true,
            Entry::Biased(ident) if biased => errors.push(Error::new(
                ident.span(),
                "`biased;` is already given at the start of this `select!`; remove this one",
            )),
            Entry::Biased(ident) => {
                biased = true;
                errors.push(Error::new(
                    ident.span(),
                    "`biased;` must come first, before every branch of the `select!`",
                ));
            }
            Entry::Branch(branch) => {
                if branches.len() == MAX_BRANCHES {
                    let (pat, handler) = (&branch.pat, &branch.handler);
                    errors.push(Error::new_spanned(
                        quote::quote!(#pat #handler),
                        format!(
                            "too many branches: a `select!` has at most {MAX_BRANCHES}, and \
                             this is branch {}",
                            MAX_BRANCHES + 1
                        ),
                    ));
                }
                branches.push(*branch);
            }
            Entry::Else(else_branch) if else_handler.is_some() => errors.push(Error::new(
                else_branch.else_token.span,
                "a `select!` has at most one `else` branch; remove this second one",
            )),
            Entry::Else(else_branch) => else_handler = Some(else_branch.handler),
        }
    }
    // With no branch, an `else` alone is the value, as in tokio (code that builds a
    // `select!` from a list may leave it with no branch).
    if branches.is_empty() && else_handler.is_none() {
        errors.push(Error::new(
            Span::call_site(),
            "`select!` needs at least one branch, written `pattern = future => handler`",
        ));
    }
    let expandable =
        branches.len() <= MAX_BRANCHES && !(branches.is_empty() && else_handler.is_none());
    let select = expandable.then_some(Select {
        biased,
        branches,
        else_handler,
    });
    (select, errors)
}
