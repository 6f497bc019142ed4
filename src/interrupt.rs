//! Ctrl-C and SIGTERM: the work in flight is dropped (which cancels a build stream), everything
//! this run created is removed, and the exit code is 130. A second signal during cleanup exits at
//! once, listing what may be left and how to remove it.

use std::future::Future;
use std::sync::OnceLock;

use checker::docker::Engine;
use tokio::sync::watch;

use crate::exit::Exit;

/// How many SIGINTs and SIGTERMs have come since [`listen`], counted by one task that holds the
/// OS handlers for the rest of the run: a signal is never lost between two waits for one.
fn count() -> watch::Receiver<u32> {
    static SIGNALS: OnceLock<watch::Sender<u32>> = OnceLock::new();
    SIGNALS
        .get_or_init(|| {
            use tokio::signal::unix::{signal, SignalKind};
            let (tx, _) = watch::channel(0);
            let counter = tx.clone();
            let int = signal(SignalKind::interrupt());
            let term = signal(SignalKind::terminate());
            tokio::spawn(async move {
                let (Ok(mut int), Ok(mut term)) = (int, term) else {
                    return;
                };
                loop {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                    counter.send_modify(|n| *n += 1);
                }
            });
            tx
        })
        .subscribe()
}

/// Take over SIGINT and SIGTERM from here on (they no longer end the process by themselves): a
/// command with work to undo calls this first, then asks [`interrupted`].
pub fn listen() {
    drop(count());
}

/// Resolves once a SIGINT or SIGTERM has come since [`listen`] (at once if one already has).
pub async fn interrupted() {
    let _ = count().wait_for(|n| *n > 0).await;
}

/// Whether a SIGINT or SIGTERM has come since [`listen`].
pub fn is_interrupted() -> bool {
    *count().borrow() > 0
}

/// Resolves on the next SIGINT or SIGTERM from now.
pub async fn signal() {
    let mut signals = count();
    let now = *signals.borrow_and_update();
    let _ = signals.wait_for(|n| *n > now).await;
}

/// Run `work`; on a signal or a panic, clean this run's resources and return `Interrupted`.
pub async fn guarded<T: Send + 'static>(
    engine: &Engine,
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, Exit> {
    checker::notice::set_sink(|m| eprintln!("{m}"));
    listen();
    let mut task = tokio::spawn(work);
    let outcome = tokio::select! {
        r = &mut task => Some(r),
        _ = interrupted() => None,
    };
    match outcome {
        Some(Ok(v)) => Ok(v),
        Some(Err(join)) => {
            eprintln!(
                "dockdojo hit an internal error ({join}); cleaning up what this run created…"
            );
            finish_cleanup(engine).await;
            Err(Exit::Env)
        }
        None => {
            task.abort();
            eprintln!(
                "\nInterrupted: removing what this run created… (press Ctrl-C again to quit now)"
            );
            finish_cleanup(engine).await;
            Err(Exit::Interrupted)
        }
    }
}

/// Remove this run's resources. A build the interrupt cancelled can still commit the step it was
/// on a moment later (an image carrying this run's labels), so cleanup repeats until a pass
/// finds nothing.
async fn cleanup_passes(engine: &Engine) -> checker::docker::cleanup::Cleaned {
    let mut all = engine.cleanup_session().await;
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let again = engine.cleanup_session().await;
        let found = !again.removed.is_empty();
        all.removed.extend(again.removed);
        // What a later pass managed to remove no longer counts as failed.
        all.failed = again.failed;
        if !found {
            break;
        }
    }
    all
}

async fn finish_cleanup(engine: &Engine) {
    tokio::select! {
        cleaned = cleanup_passes(engine) => {
            for f in &cleaned.failed {
                eprintln!("  could not remove {f}");
            }
            if cleaned.failed.is_empty() {
                eprintln!("Cleaned up ({} removed).", cleaned.removed.len());
            } else {
                eprintln!("Run `dockdojo clean` to remove what is left.");
            }
        }
        _ = signal() => {
            let label = format!("io.dockdojo.session={}", engine.session);
            eprintln!(
                "Quitting without finishing cleanup. What this run created may be left, all \
                 labelled {label}:\n  docker ps -a --filter label={label}\n  docker images \
                 --filter label={label}\n  docker volume ls --filter label={label}\n  docker \
                 network ls --filter label={label}\n`dockdojo clean` removes them (the next \
                 dockdojo run also sweeps them)."
            );
            std::process::exit(Exit::Interrupted as i32);
        }
    }
}
