//! How a command ends: the `Exit` codes (0/1/2/3/130), `Fail` (an error with the exit code it
//! maps to) and `CmdResult`, the type every command returns.

use std::process::ExitCode;

/// Exit codes (docs/DESIGN.md): 0 passed, 1 a check failed, 2 usage or spec error, 3 environment,
/// 130 interrupted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failed = 1,
    Usage = 2,
    Env = 3,
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e as u8)
    }
}

/// An error with the exit code it maps to.
#[derive(Debug)]
pub struct Fail {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl Fail {
    pub fn usage(e: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Usage,
            error: e.into(),
        }
    }
    pub fn env(e: impl Into<anyhow::Error>) -> Self {
        Self {
            exit: Exit::Env,
            error: e.into(),
        }
    }
}

impl From<checker::EnvError> for Fail {
    fn from(e: checker::EnvError) -> Self {
        Self::env(e)
    }
}

impl From<anyhow::Error> for Fail {
    fn from(e: anyhow::Error) -> Self {
        // Environment errors keep exit 3 even when wrapped.
        let exit = if e.downcast_ref::<checker::EnvError>().is_some() {
            Exit::Env
        } else {
            Exit::Usage
        };
        Self { exit, error: e }
    }
}

impl From<std::io::Error> for Fail {
    fn from(e: std::io::Error) -> Self {
        Self::env(e)
    }
}

pub type CmdResult = Result<Exit, Fail>;
