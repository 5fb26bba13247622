//! `join!` and `try_join!`: parse → expand. The grammar is an optional `biased;` and a
//! comma-separated list of futures, so parsing and validating fit in `parse.rs`.

mod expand;
mod parse;

use proc_macro2::TokenStream;

/// Which of the two macros: they share the parser and most of the expansion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `join!`: waits for every future, and gives the tuple of their outputs.
    Join,
    /// `try_join!`: each future gives a `Result`; the first `Err` ends the wait.
    TryJoin,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Join => "join!",
            Kind::TryJoin => "try_join!",
        }
    }
}

/// The whole macro: tokens in, tokens out. A mistake comes out as a `compile_error!`.
pub(crate) fn join(kind: Kind, input: TokenStream) -> TokenStream {
    join_in(kind, &quote::quote!(::mirage), input)
}

/// [`join`], naming the mirage crate `krate` (the facade passes its `$crate`).
pub(crate) fn join_in(kind: Kind, krate: &TokenStream, input: TokenStream) -> TokenStream {
    match parse::parse(kind, input) {
        Ok(input) => expand::expand(kind, krate, input.biased, &input.futures),
        Err(error) => error.to_compile_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Kind, join};

    /// Like `select!`'s: the runtime only through `::mirage::__private`, no boxing.
    #[test]
    fn the_expansion_uses_only_absolute_private_and_core_paths() {
        for kind in [Kind::Join, Kind::TryJoin] {
            let expansion = join(kind, "a, b.recv(), async { 1 }".parse().unwrap()).to_string();
            let mut rest = expansion.as_str();
            while let Some(at) = rest.find(":: mirage ::") {
                rest = &rest[at + ":: mirage ::".len()..];
                assert!(rest.starts_with(" __private ::"), "{expansion}");
            }
            for forbidden in ["Box", "std ::", "alloc ::", "compile_error"] {
                assert!(!expansion.contains(forbidden), "{forbidden} in {expansion}");
            }
        }
    }

    /// The expansion panics only through `unreachable!`, written with the macro's span: an
    /// `expect` was spanned as the future, so Clippy counted it as the caller's own call
    /// (`clippy::missing_panics_doc`, `clippy::expect_used`).
    #[test]
    fn the_expansion_calls_no_expect_or_unwrap() {
        for kind in [Kind::Join, Kind::TryJoin] {
            let expansion = join(kind, "a, b".parse().unwrap()).to_string();
            for forbidden in [". expect", ". unwrap"] {
                assert!(!expansion.contains(forbidden), "{forbidden} in {expansion}");
            }
        }
    }

    /// The facade's `join!` and `try_join!` pass their `$crate`: the expansion names that
    /// path only.
    #[test]
    fn the_expansion_names_mirage_by_the_path_it_is_given() {
        for kind in [Kind::Join, Kind::TryJoin] {
            let krate = quote::quote!(rt);
            let expansion = super::join_in(kind, &krate, "a, b".parse().unwrap()).to_string();
            assert!(
                expansion.contains("rt :: __private :: Select"),
                "{expansion}"
            );
            assert!(!expansion.contains("mirage ::"), "{expansion}");
        }
    }

    #[test]
    fn biased_is_a_keyword_only_before_a_semicolon() {
        let biased = join(Kind::Join, "biased; a, b".parse().unwrap()).to_string();
        assert!(biased.contains("2usize , 3u64 , true"), "{biased}");
        let named = join(Kind::Join, "biased, a".parse().unwrap()).to_string();
        assert!(named.contains("2usize , 3u64 , false"), "{named}");
        assert_eq!(
            join(Kind::Join, "biased;".parse().unwrap()).to_string(),
            "()"
        );
    }

    #[test]
    fn sixty_five_futures_are_one_error() {
        let input: String = (0..65).map(|i| format!("f{i},")).collect();
        let text = join(Kind::Join, input.parse().unwrap()).to_string();
        assert_eq!(text.matches("compile_error").count(), 1, "{text}");
        assert!(text.contains("at most 64"), "{text}");
    }
}
