//! The dashboard draws with the learner app's colours and emphasis (NO_COLOR respected the same
//! way: no colour at all, only bold, reversed and the ✓ / ✗ marks).

pub use crate::tui::theme::Theme;
