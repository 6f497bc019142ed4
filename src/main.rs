//! `dockdojo`: an interactive Docker course. The book teaches; this binary grades each exercise
//! against your real Docker daemon and tells you exactly what is wrong.

mod book;
mod calibrate;
mod catalog;
mod cmd;
mod interrupt;
mod layers;
mod output;
mod progress;
mod quiz;
mod tui;
mod workshop;
mod workspace;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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

#[derive(Parser)]
#[command(
    name = "dockdojo",
    version,
    about = "Learn Docker by doing: a book, and a grader that checks your work against your real Docker daemon."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Create a workspace with every exercise's starting files (default ./dojo)
    Init { dir: Option<PathBuf> },
    /// List the exercises with their chapter and your progress
    List {
        #[arg(long)]
        json: bool,
    },
    /// Grade exercises against your Docker daemon
    Check {
        /// Exercise ids (default: the one whose folder you are in, else the next unfinished)
        ids: Vec<String>,
        #[arg(long, conflicts_with = "ids")]
        all: bool,
        /// One JSON report object per exercise, one per line
        #[arg(long)]
        json: bool,
    },
    /// Show the next hint for an exercise (in an exercise folder, that exercise)
    Hint { id: Option<String> },
    /// The next exercise you have not passed: where it is and how to start
    Next,
    /// Check an exercise (this folder's, else the next unfinished) again on every save or Enter
    Watch { id: Option<String> },
    /// Show the reference solution (after you pass, or with --force)
    Solution {
        id: Option<String>,
        #[arg(long)]
        force: bool,
    },
    /// Put an exercise folder back to its starting files (yours is kept in .dockdojo/backup/)
    Reset { id: Option<String> },
    /// Arrange a scenario exercise's situation (run it again to start over)
    Setup { id: Option<String> },
    /// Build the book and serve it on 127.0.0.1 (or write it with --out)
    Book {
        /// Write the built book here instead of serving it
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Port on 127.0.0.1 (0 picks a free one)
        #[arg(long, default_value_t = 3017)]
        port: u16,
        /// Do not open a browser
        #[arg(long)]
        no_open: bool,
    },
    /// A chapter's quiz, graded (without a chapter: the list)
    Quiz { chapter: Option<u32> },
    /// Verify your Docker installation end to end
    Doctor {
        #[arg(long)]
        json: bool,
    },
    /// Make the course's base images available (present, pulled, or built locally)
    Prepare {
        /// Never pull: build local stand-ins from host packages
        #[arg(long)]
        offline: bool,
        /// Write the course images to an archive (for a room without internet)
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// Load the course images from an archive made with --save
        #[arg(long, value_name = "FILE", conflicts_with = "from")]
        load: Option<PathBuf>,
        /// Download the archive from the instructor's workshop server and load it
        #[arg(long, value_name = "URL")]
        from: Option<String>,
        /// With --from: the archive's SHA-256 as the instructor's screen shows it (verified
        /// before anything is loaded)
        #[arg(long, value_name = "HEX", requires = "from")]
        sha256: Option<String>,
    },
    /// Remove everything dockdojo created (by label), nothing else; with ID, the names that
    /// exercise's task uses (after asking)
    Clean {
        /// An exercise: remove the containers, volumes, networks and images its task names
        id: Option<String>,
        /// Also remove the course base images
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// With ID: remove without asking
        #[arg(long, short = 'y', requires = "id")]
        yes: bool,
    },
    /// Prove every exercise: starter fails, solution passes, each mutant fails on its check
    SelfTest {
        ids: Vec<String>,
        /// Print the full report of each case that does not behave as expected
        #[arg(long)]
        verbose: bool,
        /// Exercises proven side by side
        #[arg(long, short, default_value_t = 3)]
        jobs: usize,
    },
    /// Run or join a workshop: a server for the instructor, live progress for the room
    Workshop {
        #[command(subcommand)]
        cmd: WorkshopCmd,
    },
    /// Explore a local image layer by layer: sizes, instructions, files added and removed
    Layers {
        /// Any local image: a name, name:tag or id
        image: String,
        #[arg(long)]
        json: bool,
        /// Files shown per layer (0 = all)
        #[arg(long, default_value_t = 5)]
        top: usize,
    },
    /// Minutes learners really took per exercise, from a room's export or progress files
    Calibrate {
        /// A `workshop export` file (CSV or JSON; repeatable)
        #[arg(long)]
        export: Vec<PathBuf>,
        /// A learner's .dockdojo/progress.json (repeatable)
        #[arg(long)]
        progress: Vec<PathBuf>,
        /// Save the figures for the schedule page (book/measured.toml)
        #[arg(long)]
        write: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum WorkshopCmd {
    /// Instructor: serve the room (prints the join code and the URLs to share)
    Serve {
        /// Address to listen on, e.g. 192.168.1.20:4040 (0.0.0.0 listens everywhere: a warning)
        #[arg(long, value_name = "ADDR:PORT")]
        bind: std::net::SocketAddr,
        /// Folder for the room's database and the instructor file
        #[arg(long, value_name = "DIR", default_value = workshop::DEFAULT_DATA_DIR)]
        data: PathBuf,
        /// Course image archive (`prepare --save FILE`) to hand out for `prepare --from URL`
        #[arg(long, value_name = "FILE")]
        archive: Option<PathBuf>,
        /// Another host name students use to reach this server (repeatable)
        #[arg(long = "allow-host", value_name = "HOST")]
        allow_hosts: Vec<String>,
        /// Stuck: this many failed attempts in a row on the same check
        #[arg(long, default_value_t = 3)]
        stuck_after: u32,
        /// Stuck: this many minutes without any report
        #[arg(long, default_value_t = 10)]
        idle_minutes: u64,
        /// Start with the room locked: nobody joins until you unlock it from the dashboard
        #[arg(long)]
        start_locked: bool,
    },
    /// Student: join a workshop; from then on results are reported in the background
    Join {
        /// The server's URL, as the instructor shows it
        url: String,
        /// The join code the instructor shows
        code: String,
        #[arg(long)]
        name: String,
    },
    /// Student: deliver queued reports now and show the room's pacing and messages
    Sync,
    /// Student: stop reporting to the workshop (forget it in this workspace)
    Leave,
    /// Instructor: the live dashboard (students × exercises, who is stuck, pacing)
    Dash {
        #[arg(long, value_name = "DIR", default_value = workshop::DEFAULT_DATA_DIR)]
        data: PathBuf,
    },
    /// Instructor: every student × exercise (attempts, first pass, hints), self-reported
    Export {
        #[arg(long, conflicts_with = "json", required_unless_present = "json")]
        csv: bool,
        #[arg(long)]
        json: bool,
        /// Write here instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[arg(long, value_name = "DIR", default_value = workshop::DEFAULT_DATA_DIR)]
        data: PathBuf,
    },
}

/// A reader that stops early (`dockdojo list | head -1`) closes our stdout: that ends the program
/// quietly with 0, as for any filter, instead of a panic on the next line printed.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info)
    }));
}

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return Exit::Env.into();
        }
    };
    let result = rt.block_on(dispatch(cli));
    // Do not wait for stray tasks (a hung stream) on the way out.
    rt.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(code) => code.into(),
        Err(f) => {
            eprintln!("error: {:#}", f.error);
            f.exit.into()
        }
    }
}

async fn dispatch(cli: Cli) -> CmdResult {
    match cli.command {
        None => tui::run().await,
        Some(Command::Init { dir }) => cmd::misc::init(dir),
        Some(Command::List { json }) => cmd::misc::list(json),
        Some(Command::Check { ids, all, json }) => cmd::check::run(ids, all, json).await,
        Some(Command::Hint { id }) => cmd::misc::hint(id.as_deref()),
        Some(Command::Next) => cmd::misc::next(),
        Some(Command::Watch { id }) => cmd::check::watch(id).await,
        Some(Command::Solution { id, force }) => cmd::misc::solution(id.as_deref(), force),
        Some(Command::Reset { id }) => cmd::misc::reset(id.as_deref()),
        Some(Command::Setup { id }) => cmd::misc::setup(id.as_deref()).await,
        Some(Command::Book { out, port, no_open }) => cmd::book::book(out, port, !no_open).await,
        Some(Command::Quiz { chapter }) => cmd::book::quiz(chapter),
        Some(Command::Doctor { json }) => cmd::doctor::run(json).await,
        Some(Command::Prepare {
            offline,
            save,
            load,
            from,
            sha256,
        }) => cmd::prepare::run(offline, save, load, from, sha256).await,
        Some(Command::Clean {
            id: Some(id), yes, ..
        }) => cmd::clean::run(&id, yes).await,
        Some(Command::Clean { id: None, all, .. }) => cmd::misc::clean(all).await,
        Some(Command::SelfTest { ids, verbose, jobs }) => {
            cmd::selftest::run(ids, verbose, jobs).await
        }
        Some(Command::Layers { image, json, top }) => cmd::layers::run(image, json, top).await,
        Some(Command::Workshop { cmd }) => workshop_cmd(cmd).await,
        Some(Command::Calibrate {
            export,
            progress,
            write,
        }) => calibrate::run(&export, &progress, write.as_deref()),
    }
}

async fn workshop_cmd(cmd: WorkshopCmd) -> CmdResult {
    use workshop::{client, dash, export, server};
    match cmd {
        WorkshopCmd::Serve {
            bind,
            data,
            archive,
            allow_hosts,
            stuck_after,
            idle_minutes,
            start_locked,
        } => {
            server::run(server::ServeOptions {
                bind,
                data,
                archive,
                allow_hosts,
                stuck_after,
                idle_minutes,
                start_locked,
            })
            .await
        }
        WorkshopCmd::Join { url, code, name } => client::join(url, code, name).await,
        WorkshopCmd::Sync => client::sync().await,
        WorkshopCmd::Leave => client::leave(),
        WorkshopCmd::Dash { data } => dash::run(data).await,
        WorkshopCmd::Export {
            csv,
            json: _,
            out,
            data,
        } => {
            let format = if csv {
                export::Format::Csv
            } else {
                export::Format::Json
            };
            export::run(data, format, out).await
        }
    }
}
