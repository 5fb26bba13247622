//! The pattern a branch's output is tested against when its future completes.
//!
//! The branch's future is polled inside the state machine, but its handler runs outside it
//! (so that `return`, `break`, `continue` and `?` in a handler act on the enclosing
//! function). The state machine must therefore decide whether the output matches without
//! moving it. It matches the output itself, not a reference to it, so that literal and
//! constant patterns of reference type (`"quit"`, `QUIT: &str`) work as in a `match`:
//!
//! ```text
//! let mut matched = false;
//! match output {
//!     test_pattern if { matched = true; false } => unreachable!(),
//!     _ => {}
//! }
//! ```
//!
//! Syntax cannot tell a binding `x` from a constant or unit variant `X`, so plain
//! identifiers stay in the test pattern; the guard keeps them harmless. A guard sees its
//! arm's bindings by reference, and a by-value binding moves only when the arm is entered,
//! which never happens: the guard records the match and fails. The bindings that syntax does
//! show are removed so that the test needs nothing more than the guard: `ref mut` would need
//! a mutable place, and `mut` or `name @` would only add unused bindings. The handler then
//! matches the real pattern.

use syn::visit_mut::{self, VisitMut};
use syn::{FieldPat, Pat, PatWild, Token};

/// `pat` with every `ref`/`mut` binding replaced by `_` and every `name @ sub` by `sub`.
/// Plain identifiers (bindings or constants) and everything else stay as written.
pub(crate) fn test_pattern(pat: &Pat) -> Pat {
    let mut pat = pat.clone();
    Clean.visit_pat_mut(&mut pat);
    pat
}

/// Whether `pat` matches every value, as far as syntax shows (`_`).
pub(crate) fn is_wildcard(pat: &Pat) -> bool {
    match pat {
        Pat::Wild(_) => true,
        Pat::Paren(inner) => is_wildcard(&inner.pat),
        _ => false,
    }
}

struct Clean;

impl VisitMut for Clean {
    fn visit_pat_mut(&mut self, pat: &mut Pat) {
        match pat {
            Pat::Ident(ident) if ident.subpat.is_some() => {
                let (_, sub) = ident.subpat.take().expect("checked above");
                *pat = *sub;
                self.visit_pat_mut(pat);
            }
            Pat::Ident(ident) if ident.by_ref.is_some() || ident.mutability.is_some() => {
                *pat = Pat::Wild(PatWild {
                    attrs: Vec::new(),
                    underscore_token: Token![_](ident.ident.span()),
                });
            }
            _ => visit_mut::visit_pat_mut(self, pat),
        }
    }

    fn visit_field_pat_mut(&mut self, field: &mut FieldPat) {
        visit_mut::visit_field_pat_mut(self, field);
        // `Point { ref x }` became `Point { _ }`: spell the field out, `Point { x: _ }`.
        if field.colon_token.is_none() {
            field.colon_token = Some(Token![:](proc_macro2::Span::call_site()));
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::ToTokens;

    use super::*;

    fn clean(source: &str) -> String {
        let pat = syn::parse::Parser::parse_str(Pat::parse_multi_with_leading_vert, source)
            .expect("a pattern");
        test_pattern(&pat).to_token_stream().to_string()
    }

    #[test]
    fn bindings_that_would_move_or_need_a_mode_become_wildcards() {
        assert_eq!(clean("Some(mut x)"), "Some (_)");
        assert_eq!(clean("(ref a, ref mut b, c)"), "(_ , _ , c)");
        assert_eq!(clean("whole @ Some(1..=3)"), "Some (1 ..= 3)");
        assert_eq!(clean("Some(&x) | None"), "Some (& x) | None");
        assert_eq!(clean("\"quit\" | QUIT"), "\"quit\" | QUIT");
        assert_eq!(clean("Point { ref x, y: 0 }"), "Point { x : _ , y : 0 }");
        assert_eq!(clean("Ok(n)"), "Ok (n)");
    }

    #[test]
    fn only_underscore_is_a_wildcard() {
        let parse = |s| syn::parse::Parser::parse_str(Pat::parse_single, s).unwrap();
        assert!(is_wildcard(&parse("_")));
        assert!(is_wildcard(&parse("(_)")));
        assert!(!is_wildcard(&parse("x")));
        assert!(!is_wildcard(&parse("None")));
    }
}
