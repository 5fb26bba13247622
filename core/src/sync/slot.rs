//! `Slot`: where a cell that comes in a local and a cross-thread flavour (`OnceCell`,
//! `SetOnce`) keeps its value: the standard library's `OnceCell` for the local one (no
//! synchronization: one Core), its `OnceLock` for the cross-thread one, and the logic on
//! the value is written once, over this trait (`once_cell/shared.rs`, `set_once/shared.rs`).

use std::cell::OnceCell;
use std::sync::OnceLock;

/// Where a cell keeps its value: set at most once through `&self`, then only read.
pub(crate) trait Slot {
    type Value;

    fn get(&self) -> Option<&Self::Value>;

    /// Stores `value` if the slot is empty, otherwise hands it back.
    fn set(&self, value: Self::Value) -> Result<(), Self::Value>;
}

impl<T> Slot for OnceCell<T> {
    type Value = T;

    #[inline]
    fn get(&self) -> Option<&T> {
        self.get()
    }

    #[inline]
    fn set(&self, value: T) -> Result<(), T> {
        self.set(value)
    }
}

impl<T> Slot for OnceLock<T> {
    type Value = T;

    #[inline]
    fn get(&self) -> Option<&T> {
        self.get()
    }

    #[inline]
    fn set(&self, value: T) -> Result<(), T> {
        self.set(value)
    }
}
