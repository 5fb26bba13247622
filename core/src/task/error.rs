//! Why a task produced no value.

use std::any::Any;
use std::fmt;

use super::id::Id;

/// A task ended without producing its value: it was aborted (or its Core was dropped), or
/// it panicked.
///
/// # Examples
///
/// ```
/// let mut core = mirage::Core::new().unwrap();
/// let err = core.run(async {
///     mirage::spawn(async { panic!("boom") }).await.unwrap_err()
/// });
/// assert!(err.is_panic());
/// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
/// ```
pub struct JoinError {
    repr: Repr,
}

enum Repr {
    Cancelled(Id),
    /// Boxed, so that an error (and the output slot of every task, which may hold one)
    /// stays two words: panics are rare and already allocate their payload.
    Panic(Box<Panicked>),
}

struct Panicked {
    id: Id,
    payload: Box<dyn Any + Send + 'static>,
}

// SAFETY: through `&JoinError` no reference to the payload, which need not be `Sync`, is
// handed out: `panic_message` only downcasts it to `&'static str` or `String`, which are
// `Sync`, and finding its type reads none of its data (`Any::type_id` has only the
// blanket impl). The payload itself leaves by value (`into_panic`). As in tokio, this
// makes `JoinError` `Sync`, so it converts into `Box<dyn Error + Send + Sync>`.
unsafe impl Sync for Panicked {}

impl JoinError {
    pub(crate) fn cancelled(id: Id) -> JoinError {
        JoinError {
            repr: Repr::Cancelled(id),
        }
    }

    pub(crate) fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            repr: Repr::Panic(Box::new(Panicked { id, payload })),
        }
    }

    /// The [`Id`](crate::task::Id) of the task that failed, as its handle reported it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// core.run(async {
    ///     let handle = mirage::spawn(async { panic!("boom") });
    ///     let id = handle.id();
    ///     assert_eq!(handle.await.unwrap_err().id(), id);
    /// });
    /// ```
    pub fn id(&self) -> Id {
        match &self.repr {
            Repr::Cancelled(id) => *id,
            Repr::Panic(panicked) => panicked.id,
        }
    }

    /// Whether the task was aborted, or dropped with its Core, before it completed.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let err = core.run(async {
    ///     let handle = mirage::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     handle.await.unwrap_err()
    /// });
    /// assert!(err.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Cancelled(_))
    }

    /// Whether the task panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let err = core.run(async { mirage::spawn(async { panic!("oops") }).await.unwrap_err() });
    /// assert!(err.is_panic());
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic's payload, to inspect or to resume with [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicked; see [`JoinError::try_into_panic`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let err = core.run(async { mirage::spawn(async { panic!("oops") }).await.unwrap_err() });
    /// let payload = err.into_panic();
    /// assert_eq!(*payload.downcast_ref::<&str>().unwrap(), "oops");
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        self.try_into_panic()
            .expect("JoinError::into_panic called on a cancelled task's error, not a panic")
    }

    /// The panic's payload, or the error itself when the task was cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut core = mirage::Core::new().unwrap();
    /// let err = core.run(async {
    ///     let handle = mirage::spawn(std::future::pending::<()>());
    ///     handle.abort();
    ///     handle.await.unwrap_err()
    /// });
    /// assert!(err.try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(panicked) => Ok(panicked.payload),
            Repr::Cancelled(_) => Err(self),
        }
    }

    /// The panic message, when the payload is a string (as `panic!` with a message makes).
    fn panic_message(&self) -> Option<&str> {
        match &self.repr {
            Repr::Panic(panicked) => panicked
                .payload
                .downcast_ref::<&'static str>()
                .copied()
                .or_else(|| {
                    panicked
                        .payload
                        .downcast_ref::<String>()
                        .map(String::as_str)
                }),
            Repr::Cancelled(_) => None,
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled(id), _) => write!(f, "task {id} was cancelled"),
            (Repr::Panic(panicked), Some(msg)) => {
                write!(f, "task {} panicked with message {msg:?}", panicked.id)
            }
            (Repr::Panic(panicked), None) => write!(f, "task {} panicked", panicked.id),
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.repr, self.panic_message()) {
            (Repr::Cancelled(id), _) => write!(f, "JoinError::Cancelled({id:?})"),
            (Repr::Panic(panicked), Some(msg)) => {
                write!(f, "JoinError::Panic({:?}, {msg:?}, ...)", panicked.id)
            }
            (Repr::Panic(panicked), None) => write!(f, "JoinError::Panic({:?}, ...)", panicked.id),
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for std::io::Error {
    fn from(err: JoinError) -> std::io::Error {
        std::io::Error::other(err.to_string())
    }
}
