//! The command line: clap's definitions of every command and its options.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::workshop;

#[derive(Parser)]
#[command(
    name = "dockdojo",
    version,
    about = "Learn Docker by doing: a book, and a grader that checks your work against your real Docker daemon."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
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
    /// Say why, in your own words: save your diagnosis as ANSWER.md in the exercise's folder
    Answer {
        /// The exercise that asks the question
        id: String,
        /// Your answer (quote it; several words are joined by spaces)
        #[arg(required = true, num_args = 1.., value_name = "TEXT")]
        text: Vec<String>,
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
        /// Also make the course app image, dockdojo:VERSION, from this dockdojo (for learners
        /// with Docker and nothing else; --save then writes it too)
        #[arg(long)]
        app_image: bool,
    },
    /// Remove everything dockdojo created (by label), nothing else; with ID, the names that
    /// exercise's task uses (after asking)
    Clean {
        /// An exercise: remove the containers, volumes, networks and images its task names
        id: Option<String>,
        /// Also remove the course base images
        #[arg(long, conflicts_with = "id")]
        all: bool,
        /// With ID: remove without asking (without ID it never asks: it removes only what
        /// dockdojo labelled as its own)
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Prove every exercise: starter fails, solution passes, each mutant fails on its check
    SelfTest {
        ids: Vec<String>,
        /// Print the full report of each case that does not behave as expected
        #[arg(long)]
        verbose: bool,
        /// Exercises proven side by side [default: 6 on Engine 20.10, 3 on newer engines and
        /// Podman, whose builds side by side misjudge each other's cache]
        #[arg(long, short)]
        jobs: Option<usize>,
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
pub enum WorkshopCmd {
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
