//! `on_thread_park` and `on_thread_unpark`: code a runtime's Core runs around each park.

use std::fmt;

// A hook of `runtime::Builder`, as tokio types it: the blocking pool's thread hooks have
// the same type.
use crate::task::BuilderHook as Hook;

/// What a Core runs just before it parks (waits for events with nothing ready) and just
/// after it unparks; none by default.
#[derive(Clone, Default)]
pub(crate) struct ParkHooks {
    pub(crate) on_park: Option<Hook>,
    pub(crate) on_unpark: Option<Hook>,
}

impl ParkHooks {
    /// Whether there is anything to run.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.on_park.is_none() && self.on_unpark.is_none()
    }

    /// Runs `on_park`, if set.
    pub(crate) fn before_park(&self) {
        if let Some(hook) = &self.on_park {
            hook();
        }
    }

    /// Runs `on_unpark`, if set.
    pub(crate) fn after_unpark(&self) {
        if let Some(hook) = &self.on_unpark {
            hook();
        }
    }
}

impl fmt::Debug for ParkHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParkHooks")
            .field("on_park", &self.on_park.is_some())
            .field("on_unpark", &self.on_unpark.is_some())
            .finish()
    }
}
