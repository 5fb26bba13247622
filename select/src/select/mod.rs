//! `select!`: parse → validate → expand.

mod ast;
mod expand;
mod parse;
mod pattern;
mod valid;

use proc_macro2::TokenStream;

/// The whole macro: tokens in, tokens out. Mistakes come out as `compile_error!`s beside a
/// best-effort expansion (see [`expand::expand`] and [`expand::fallback`]).
pub(crate) fn select(input: TokenStream) -> TokenStream {
    select_in(&quote::quote!(::mirage), input)
}

/// [`select`], naming the mirage crate `krate` (the facade passes its `$crate`).
pub(crate) fn select_in(krate: &TokenStream, input: TokenStream) -> TokenStream {
    match syn::parse2::<ast::Input>(input) {
        Ok(input) => {
            let (select, errors) = valid::validate(input);
            expand::expand(krate, select, errors)
        }
        Err(error) => expand::fallback(vec![error]),
    }
}

#[cfg(test)]
mod tests {
    /// The expansion reaches the runtime only through `::mirage::__private`, std only
    /// through absolute `::core` paths, and boxes nothing.
    #[test]
    fn the_expansion_uses_only_absolute_private_and_core_paths() {
        let input = "biased; Some(n) = rx.recv(), if open => n, _ = sleep(d) => 0, else => 1";
        let expansion = super::select(input.parse().unwrap()).to_string();
        let mut rest = expansion.as_str();
        while let Some(at) = rest.find(":: mirage ::") {
            rest = &rest[at + ":: mirage ::".len()..];
            assert!(rest.starts_with(" __private ::"), "{expansion}");
        }
        for forbidden in ["Box", "std ::", "alloc ::"] {
            assert!(!expansion.contains(forbidden), "{forbidden} in {expansion}");
        }
        assert!(!expansion.contains("compile_error"), "{expansion}");
    }

    /// The facade's `select!` passes its `$crate`: the expansion names that path only.
    #[test]
    fn the_expansion_names_mirage_by_the_path_it_is_given() {
        let input = "Some(n) = rx.recv(), if open => n, else => 1";
        let expansion = super::select_in(&quote::quote!(rt), input.parse().unwrap()).to_string();
        assert!(
            expansion.contains("rt :: __private :: Select"),
            "{expansion}"
        );
        assert!(!expansion.contains("mirage ::"), "{expansion}");
    }

    #[test]
    fn two_fatal_mistakes_give_two_errors_in_an_expression() {
        let branches: String = (0..65).map(|i| format!("_ = f{i} => {i},")).collect();
        let input = format!("{branches} else => 0, else => 1");
        let expansion = super::select(input.parse().unwrap());
        let text = expansion.to_string();
        assert_eq!(text.matches("compile_error").count(), 2, "{text}");
        syn::parse2::<syn::Expr>(expansion).expect("the fallback is an expression");
    }

    #[test]
    fn a_mistake_still_expands_with_one_error() {
        let expansion = super::select("_ = a => 1, else => 2, else => 3".parse().unwrap());
        let text = expansion.to_string();
        assert_eq!(text.matches("compile_error").count(), 1, "{text}");
        assert!(text.contains("Select :: new"), "{text}");
    }
}
