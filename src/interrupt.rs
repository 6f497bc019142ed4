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

async fn finish_cleanup(engine: &Engine) {
    tokio::select! {
        cleaned = engine.cleanup_session() => {
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
            eprintln!("Quitting without finishing cleanup. Containers, images or volumes labelled \
                       io.dockdojo.session={} may be left; `dockdojo clean` removes them (the next \
                       dockdojo run also sweeps them).", engine.session);
            std::process::exit(Exit::Interrupted as i32);
        }
    }
}
