//! The error of `OnceCell::set`.

use std::error::Error;
use std::fmt;

/// Why [`OnceCell::set`](super::OnceCell::set) (or
/// [`cross_thread::OnceCell::set`](crate::sync::cross_thread::OnceCell::set)) stored nothing;
/// the value comes back in it. The names are tokio's.
///
/// # Examples
///
/// ```
/// use mirage::sync::{OnceCell, SetError};
///
/// let cell = OnceCell::new();
/// cell.set(1).unwrap();
/// let err: SetError<u32> = cell.set(2).unwrap_err();
/// assert_eq!(err, SetError::AlreadyInitializedError(2));
/// assert_eq!(err.to_string(), "the cell already holds a value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitializedError(T),
    /// The cell is empty, but a task's initializer runs (or its turn to run has come).
    InitializingError(T),
}

impl<T> SetError<T> {
    /// Whether the cell already held a value.
    ///
    /// # Examples
    ///
    /// ```
    /// let cell = mirage::sync::OnceCell::new_with(Some(1));
    /// assert!(cell.set(2).unwrap_err().is_already_init_err());
    /// ```
    pub fn is_already_init_err(&self) -> bool {
        matches!(self, SetError::AlreadyInitializedError(_))
    }

    /// Whether a task's initializer was running.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::pending;
    /// use std::rc::Rc;
    /// use mirage::sync::OnceCell;
    ///
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let cell = Rc::new(OnceCell::<u32>::new());
    ///     let init = Rc::clone(&cell);
    ///     mirage::spawn(async move { *init.get_or_init(pending).await });
    ///     mirage::yield_now().await; // the task's initializer now runs, and never ends
    ///     assert!(cell.set(2).unwrap_err().is_initializing_err());
    /// });
    /// ```
    pub fn is_initializing_err(&self) -> bool {
        matches!(self, SetError::InitializingError(_))
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitializedError(_) => f.write_str("the cell already holds a value"),
            SetError::InitializingError(_) => f.write_str("another task initializes the cell"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}
