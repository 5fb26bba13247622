//! `join!` and `try_join!`: parse → expand. The grammar is a comma-separated list of
//! futures, so parsing and validating fit in `parse.rs`.

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
    match parse::parse(kind, input) {
        Ok(futures) => expand::expand(kind, &futures),
        Err(error) => error.to_compile_error(),
    }
}

#[cfg(test)]
mod tests {
    use super::{join, Kind};

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

    #[test]
    fn sixty_five_futures_are_one_error() {
        let input: String = (0..65).map(|i| format!("f{i},")).collect();
        let text = join(Kind::Join, input.parse().unwrap()).to_string();
        assert_eq!(text.matches("compile_error").count(), 1, "{text}");
        assert!(text.contains("at most 64"), "{text}");
    }
}
