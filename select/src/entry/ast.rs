//! The attribute's arguments and the function it is on, as written.

use syn::{ItemFn, Meta};

use super::Kind;

pub(crate) struct Entry {
    pub(crate) kind: Kind,
    /// `start_paused = true`, and whatever else was written (validated later).
    pub(crate) args: Vec<Meta>,
    pub(crate) function: ItemFn,
}
