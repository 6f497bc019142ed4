//! `dockdojo`: an interactive Docker course. The book teaches; this binary grades each exercise
//! against your real Docker daemon and tells you exactly what is wrong. This file declares the
//! modules, parses the command line (`cli.rs`) and hands each command to its module.

mod aftercheck;
mod book;
mod calibrate;
mod catalog;
mod cli;
mod cmd;
mod exit;
mod interrupt;
mod layers;
mod output;
mod progress;
mod quiz;
mod term;
mod tui;
mod workshop;
mod workspace;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, WorkshopCmd};
use exit::{CmdResult, Exit};

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
        Some(Command::Init { dir }) => cmd::init::run(dir),
        Some(Command::List { json }) => cmd::list::run(json),
        Some(Command::Check { ids, all, json }) => cmd::check::run(ids, all, json).await,
        Some(Command::Answer { id, text }) => cmd::answer::run(&id, &text),
        Some(Command::Hint { id }) => cmd::hint::run(id.as_deref()),
        Some(Command::Next) => cmd::next::run(),
        Some(Command::Watch { id }) => cmd::check::watch(id).await,
        Some(Command::Solution { id, force }) => cmd::solution::run(id.as_deref(), force),
        Some(Command::Reset { id }) => cmd::reset::run(id.as_deref()),
        Some(Command::Setup { id }) => cmd::setup::run(id.as_deref()).await,
        Some(Command::Book { out, port, no_open }) => cmd::book::book(out, port, !no_open).await,
        Some(Command::Quiz { chapter }) => cmd::book::quiz(chapter),
        Some(Command::Doctor { json }) => cmd::doctor::run(json).await,
        Some(Command::Prepare {
            offline,
            save,
            load,
            from,
            sha256,
            app_image,
        }) => {
            let how = cmd::prepare::How {
                offline,
                save,
                load,
                from,
                sha256,
                app_image,
            };
            cmd::prepare::run(how).await
        }
        Some(Command::Clean {
            id: Some(id), yes, ..
        }) => cmd::clean::run(&id, yes).await,
        Some(Command::Clean { id: None, all, .. }) => cmd::clean::everything(all).await,
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
