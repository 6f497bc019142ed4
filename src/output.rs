//! Plain terminal output for reports: colour only on a TTY and without `NO_COLOR`.

use std::io::IsTerminal;

use checker::report::Status;
use checker::Report;

pub struct Style {
    color: bool,
}

impl Style {
    pub fn stdout() -> Self {
        let color = std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Self { color }
    }
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.paint("31", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
}

fn indent(text: &str, pad: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").to_string();
    lines.fold(first, |acc, l| format!("{acc}\n{pad}{l}"))
}

/// A report as a learner reads it: a line per check, details under the failures.
pub fn render_report(r: &Report, title: &str, st: &Style) -> String {
    let mut out = format!("{}\n", st.bold(&format!("{} — {title}", r.exercise)));
    for c in &r.checks {
        let mark = match c.status() {
            Status::Passed => st.green("✓"),
            Status::Unsupported => st.yellow("~"),
            Status::Skipped => st.dim("-"),
            Status::Error => st.yellow("!"),
            Status::Failed => st.red("✗"),
        };
        out.push_str(&format!("  {mark} {}\n", c.title));
        match c.status() {
            Status::Passed => continue,
            Status::Skipped | Status::Unsupported => {
                out.push_str(&format!("      {}\n", st.dim(&c.actual)));
                continue;
            }
            Status::Failed | Status::Error => {}
        }
        let pad = "                ";
        out.push_str(&format!("      Expected: {}\n", indent(&c.expected, pad)));
        out.push_str(&format!("      Actual:   {}\n", indent(&c.actual, pad)));
        out.push_str(&format!("      Hint:     {}\n", indent(&c.hint, pad)));
        out.push_str(&format!(
            "      Read:     book/{}  (`dockdojo book` opens it)\n",
            c.book
        ));
    }
    let passed = r
        .checks
        .iter()
        .filter(|c| c.status() == Status::Passed)
        .count();
    let line = format!(
        "{passed} of {} checks passed ({:.1} s)",
        r.checks.len(),
        r.duration_ms as f64 / 1000.0
    );
    out.push_str(&if r.passed {
        st.green(&format!("{line}. Well done!"))
    } else {
        line
    });
    out.push('\n');
    out
}

/// The last `n` non-empty lines, joined with " | " for one-line messages.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}
