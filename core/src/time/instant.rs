//! `Instant`: a point on the running Core's clock.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use super::clock::FAR_FUTURE;
use crate::context;

/// A measurement of the running Core's monotonic clock, which follows virtual time while it
/// is [paused](super::pause).
///
/// It has the arithmetic of [`std::time::Instant`] and converts to and from it. Outside a
/// running (or [entered](crate::runtime::Runtime::enter)) Core, [`Instant::now`] reads the
/// system clock. That includes a [`spawn_blocking`](crate::spawn_blocking) closure: there it
/// does not follow its Core's virtual time, where tokio's blocking threads read their
/// runtime's paused clock. Pass the instant in from the Core if the closure needs it.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use mirage::time::Instant;
///
/// let mut core = mirage::Core::new().unwrap();
/// core.run(async {
///     mirage::time::pause();
///     let start = Instant::now();
///     mirage::time::sleep(Duration::from_secs(30)).await; // takes no real time
///     assert_eq!(start.elapsed(), Duration::from_secs(30));
///     assert_eq!(Instant::now() - start, Duration::from_secs(30));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(std::time::Instant);

impl Instant {
    /// The current time of the running Core's clock (the system clock outside a Core, and
    /// on a [`spawn_blocking`](crate::spawn_blocking) thread).
    ///
    /// # Examples
    ///
    /// ```
    /// let earlier = mirage::time::Instant::now();
    /// assert!(mirage::time::Instant::now() >= earlier);
    /// ```
    pub fn now() -> Instant {
        Instant(
            context::with_current(|local| local.timers.clock.now())
                .unwrap_or_else(std::time::Instant::now),
        )
    }

    /// Wraps a [`std::time::Instant`].
    ///
    /// # Examples
    ///
    /// ```
    /// let std_now = std::time::Instant::now();
    /// assert_eq!(mirage::time::Instant::from_std(std_now).into_std(), std_now);
    /// ```
    pub fn from_std(instant: std::time::Instant) -> Instant {
        Instant(instant)
    }

    /// The [`std::time::Instant`] this is. In virtual time it is as far from the system
    /// clock as virtual time is from real time.
    ///
    /// # Examples
    ///
    /// ```
    /// let now = mirage::time::Instant::now();
    /// let _: std::time::Instant = now.into_std();
    /// ```
    pub fn into_std(self) -> std::time::Instant {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, or zero if `earlier` is later.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = mirage::time::Instant::now();
    /// let b = a + Duration::from_secs(2);
    /// assert_eq!(b.duration_since(a), Duration::from_secs(2));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    pub fn duration_since(&self, earlier: Instant) -> Duration {
        self.0.saturating_duration_since(earlier.0)
    }

    /// Time elapsed from `earlier` to `self`, or `None` if `earlier` is later.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = mirage::time::Instant::now();
    /// assert_eq!(a.checked_duration_since(a + Duration::from_secs(1)), None);
    /// ```
    pub fn checked_duration_since(&self, earlier: Instant) -> Option<Duration> {
        self.0.checked_duration_since(earlier.0)
    }

    /// Same as [`duration_since`](Instant::duration_since): zero if `earlier` is later.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let a = mirage::time::Instant::now();
    /// assert_eq!(a.saturating_duration_since(a + Duration::from_secs(1)), Duration::ZERO);
    /// ```
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        self.duration_since(earlier)
    }

    /// Time elapsed since `self` on the running Core's clock.
    ///
    /// # Examples
    ///
    /// ```
    /// let start = mirage::time::Instant::now();
    /// assert!(start.elapsed() < std::time::Duration::from_secs(3600));
    /// ```
    pub fn elapsed(&self) -> Duration {
        Instant::now().duration_since(*self)
    }

    /// `self + duration`, or `None` on overflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let now = mirage::time::Instant::now();
    /// assert!(now.checked_add(Duration::MAX).is_none());
    /// ```
    pub fn checked_add(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_add(duration).map(Instant)
    }

    /// `self - duration`, or `None` on underflow.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// let now = mirage::time::Instant::now();
    /// assert!(now.checked_sub(Duration::MAX).is_none());
    /// ```
    pub fn checked_sub(&self, duration: Duration) -> Option<Instant> {
        self.0.checked_sub(duration).map(Instant)
    }

    /// A deadline `duration` from now that stays representable: far-future durations are
    /// capped at about 30 years, as a deadline that far out never fires in practice.
    pub(crate) fn far_future_saturating(self, duration: Duration) -> Instant {
        self.checked_add(duration.min(FAR_FUTURE))
            .unwrap_or_else(|| self + Duration::from_secs(86_400))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// # Panics
    ///
    /// On overflow, as `std::time::Instant` does.
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0 + rhs)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        self.0 += rhs;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;

    fn sub(self, rhs: Duration) -> Instant {
        Instant(self.0 - rhs)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, rhs: Duration) {
        self.0 -= rhs;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturates at zero, as `std::time::Instant` does.
    fn sub(self, rhs: Instant) -> Duration {
        self.duration_since(rhs)
    }
}

impl From<std::time::Instant> for Instant {
    fn from(instant: std::time::Instant) -> Instant {
        Instant(instant)
    }
}

impl From<Instant> for std::time::Instant {
    fn from(instant: Instant) -> std::time::Instant {
        instant.0
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}
