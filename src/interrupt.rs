//! Ctrl-C and SIGTERM: the work in flight is dropped (which cancels a build stream), everything
//! this run created is removed, and the exit code is 130. A second signal during cleanup exits at
//! once, listing what may be left and how to remove it.

use std::future::Future;

use checker::docker::Engine;

use crate::Exit;

/// Resolves on the first SIGINT or SIGTERM.
pub async fn signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Run `work`; on a signal or a panic, clean this run's resources and return `Interrupted`.
pub async fn guarded<T: Send + 'static>(
    engine: &Engine,
    work: impl Future<Output = T> + Send + 'static,
) -> Result<T, Exit> {
    checker::notice::set_sink(|m| eprintln!("{m}"));
    let mut task = tokio::spawn(work);
    let outcome = tokio::select! {
        r = &mut task => Some(r),
        _ = signal() => None,
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
