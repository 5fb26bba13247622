//! The input of `select!` as written. Nodes keep their `syn` syntax so diagnostics and the
//! expansion carry the user's spans.

use syn::{Expr, Ident, Pat, Token};

/// Everything between the braces, in source order. The grammar here is looser than the
/// language: `biased;` and `else` may appear anywhere, any number of times, so that
/// `valid.rs` can say precisely what is wrong instead of a parser's "expected ...".
pub(crate) struct Input {
    pub(crate) entries: Vec<Entry>,
}

pub(crate) enum Entry {
    /// `biased;`
    Biased(Ident),
    /// `pattern = future, if precondition => handler` (boxed: it is the big one)
    Branch(Box<Branch>),
    /// `else => handler`
    Else(Else),
}

pub(crate) struct Branch {
    /// What the output must match for the branch to win.
    pub(crate) pat: Pat,
    /// The future (or `IntoFuture`) expression, evaluated once when the `select!` is entered.
    pub(crate) future: Expr,
    /// `, if cond`: the branch races only if `cond` is true when the `select!` is entered.
    pub(crate) precondition: Option<Expr>,
    pub(crate) handler: Expr,
}

pub(crate) struct Else {
    pub(crate) else_token: Token![else],
    pub(crate) handler: Expr,
}
