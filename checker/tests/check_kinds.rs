//! Every check kind, proven both ways against the real Docker daemon: a fixture the check must
//! pass, and fixtures it must fail with the message a learner would read (Expected / Actual /
//! hint) naming the right reason. Each run also proves `run_exercise` removed everything labelled
//! with its session (see `common::grade`).
//!
//! Needs a reachable daemon with `busybox:1.36.1` present (`dockdojo prepare`); no registry.
//! One file per kind under `check_kinds/`; fixtures and the live-resource guard in `common/`.

mod common;

/// One module per kind, in `check_kinds/`.
mod check_kinds {
    mod answer;
    mod build;
    mod buildkit;
    mod container;
    mod diff;
    mod dockerfile;
    mod exec;
    mod file;
    mod http;
    mod image;
    mod network;
    mod rebuild;
    mod recreate;
    mod run;
    mod situation;
    mod stop;
    mod volume;
}
