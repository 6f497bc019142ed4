//! Time spent per exercise: the time the app has that exercise selected, not counting idle
//! stretches. Any activity (a key, a saved file, a daemon event) keeps the clock running; after
//! [`IDLE`] without any, it stops until the next one.

use std::time::{Duration, Instant};

/// After this long without activity the learner is assumed to be away.
pub const IDLE: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Clone)]
pub struct Timer {
    id: Option<String>,
    since: Instant,
    last_activity: Instant,
    /// Counted time not yet handed out (whole seconds are handed out, the rest carried).
    carry: Duration,
}

impl Timer {
    pub fn new(id: Option<String>, now: Instant) -> Self {
        Self {
            id,
            since: now,
            last_activity: now,
            carry: Duration::ZERO,
        }
    }

    /// The learner did something. After an idle stretch, only the time up to the idle limit
    /// counts.
    pub fn activity(&mut self, now: Instant) {
        let idle_end = self.last_activity + IDLE;
        if now > idle_end {
            self.carry += idle_end.saturating_duration_since(self.since);
            self.since = now;
        }
        self.last_activity = now;
    }

    /// Hand out the whole seconds counted so far for the current exercise.
    pub fn take(&mut self, now: Instant) -> Option<(String, u64)> {
        let end = now.min(self.last_activity + IDLE).max(self.since);
        let counted = end.saturating_duration_since(self.since) + self.carry;
        self.since = now.max(self.since);
        let secs = counted.as_secs();
        self.carry = counted - Duration::from_secs(secs);
        match &self.id {
            Some(id) if secs > 0 => Some((id.clone(), secs)),
            _ => None,
        }
    }

    /// Another exercise is selected: hand out the old one's time and start the new one's.
    pub fn switch(&mut self, id: &str, now: Instant) -> Option<(String, u64)> {
        let out = self.take(now);
        self.id = Some(id.to_string());
        self.carry = Duration::ZERO;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_active_time_per_exercise() {
        let t0 = Instant::now();
        let s = |n| Duration::from_secs(n);
        let mut t = Timer::new(Some("a".into()), t0);
        t.activity(t0 + s(30));
        assert_eq!(t.take(t0 + s(40)), Some(("a".into(), 40)));
        assert_eq!(t.switch("b", t0 + s(100)), Some(("a".into(), 60)));
        assert_eq!(t.take(t0 + s(110)), Some(("b".into(), 10)));
    }

    #[test]
    fn idle_stretches_do_not_count() {
        let t0 = Instant::now();
        let s = |n| Duration::from_secs(n);
        let mut t = Timer::new(Some("a".into()), t0);
        // Away for an hour: only the idle limit counts, then the clock runs again.
        t.activity(t0 + s(3600));
        assert_eq!(t.take(t0 + s(3610)), Some(("a".into(), 300 + 10)));
        // Away again without coming back: capped at the limit.
        assert_eq!(t.take(t0 + s(9000)), Some(("a".into(), 300 - 10)));
        assert_eq!(t.take(t0 + s(9500)), None);
    }

    #[test]
    fn fractions_carry_over() {
        let t0 = Instant::now();
        let ms = |n| Duration::from_millis(n);
        let mut t = Timer::new(Some("a".into()), t0);
        assert_eq!(t.take(t0 + ms(700)), None);
        assert_eq!(t.take(t0 + ms(1400)), Some(("a".into(), 1)));
    }
}
