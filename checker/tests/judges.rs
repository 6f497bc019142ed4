//! Judges without a daemon: what each engine CI runs reported for the same things
//! (`fixtures/engines/<engine>/`, refreshed by `fixtures/engines/capture.sh`), judged by the check
//! kinds' pure `judge` functions. An engine that reports something differently shows up here as
//! a failing test, not as a wrong verdict for a learner. Where an observation is the same on
//! every engine (a file missing from the exercise folder, a spec the daemon never sees), it is
//! written by hand. One file per kind under `judges/`; reading the captures in `fixtures.rs`.

mod judges {
    mod build;
    mod compose;
    mod container;
    mod fixtures;
    mod http;
    mod image;
    mod network;
    mod rebuild;
    mod reload;
    mod restart;
    mod run;
}
