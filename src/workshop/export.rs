//! `dockdojo workshop export`: per student and exercise, as CSV or JSON, labelled self-reported.

use std::path::PathBuf;

use crate::CmdResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

pub async fn run(data: PathBuf, format: Format, out: Option<PathBuf>) -> CmdResult {
    let _ = (data, format, out);
    todo!("workshop export")
}
