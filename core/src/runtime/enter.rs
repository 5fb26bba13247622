//! `EnterGuard`: a runtime made current without running it.

use std::fmt;
use std::marker::PhantomData;

use super::Runtime;
use crate::context::EnterIdle;

/// Keeps a [`Runtime`] current on this thread until dropped; made by [`Runtime::enter`].
///
/// While it lives, what needs a current Core ([`mirage::spawn`](crate::spawn), timers,
/// [`Handle::current`](super::Handle::current), [`LocalSet::spawn_local`](crate::task::LocalSet::spawn_local))
/// uses this runtime's, although it is not running: tasks spawned now start at the next
/// [`block_on`](Runtime::block_on). Guards nest; drop them in the reverse order (dropped in
/// another order, each still leaves only its own runtime).
///
/// # Examples
///
/// ```
/// let runtime = mirage::runtime::Runtime::new()?;
/// let task = {
///     let _guard = runtime.enter();
///     mirage::spawn(async { "spawned before block_on" })
/// };
/// assert_eq!(runtime.block_on(task).unwrap(), "spawned before block_on");
/// # std::io::Result::Ok(())
/// ```
#[must_use = "the runtime is current only while the guard lives"]
pub struct EnterGuard<'a> {
    _entered: EnterIdle,
    _runtime: PhantomData<&'a Runtime>,
}

impl EnterGuard<'_> {
    pub(super) fn new(entered: EnterIdle) -> Self {
        EnterGuard {
            _entered: entered,
            _runtime: PhantomData,
        }
    }
}

impl fmt::Debug for EnterGuard<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnterGuard").finish_non_exhaustive()
    }
}
