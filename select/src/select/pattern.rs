//! The pattern a branch's output is tested against when its future completes.
//!
//! The branch's future is polled inside the state machine, but its handler runs outside it
//! (so that `return`, `break`, `continue` and `?` in a handler act on the enclosing
//! function). The state machine must therefore decide whether the output matches without
//! moving it: it matches `&output` against a copy of the pattern in which nothing binds by
//! value or needs a particular binding mode. The handler then matches the real pattern.

use syn::visit_mut::{self, VisitMut};
use syn::{FieldPat, Pat, PatWild, Token};

/// `pat` with every `ref`/`mut` binding replaced by `_`, every `name @ sub` by `sub`, and
/// every `&sub` by `sub`. Matched against a reference, the remaining plain identifiers bind
/// by reference (or compare against a constant of that name, as in the original), and
/// default binding modes dereference where the original had `&`.
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
            Pat::Reference(reference) => {
                let inner =
                    std::mem::replace(&mut *reference.pat, Pat::Verbatim(Default::default()));
                *pat = inner;
                self.visit_pat_mut(pat);
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
        assert_eq!(clean("Some(&x) | None"), "Some (x) | None");
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
