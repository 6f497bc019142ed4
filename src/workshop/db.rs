//! The workshop's durable state in SQLite (bundled, WAL): roster, reports, pacing, messages.
