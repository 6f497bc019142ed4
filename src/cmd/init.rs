//! `dockdojo init [DIR]`: create a workspace with every exercise's starting files.

use std::path::PathBuf;

use crate::catalog;
use crate::exit::{CmdResult, Exit, Fail};
use crate::workspace::Workspace;

/// `dockdojo init`: the workspace at DIR (default `./dojo`), adding the folders it lacks.
pub fn run(dir: Option<PathBuf>) -> CmdResult {
    let entries = catalog::load()?;
    let root = dir.unwrap_or_else(|| PathBuf::from("dojo"));
    let (ws, added) = Workspace::init(&root, &entries).map_err(Fail::usage)?;
    if added.is_empty() {
        println!(
            "{} is up to date: every exercise already has its folder.",
            ws.root.display()
        );
    } else {
        println!(
            "Created {} with {} exercises:",
            ws.root.display(),
            added.len()
        );
        for e in &entries {
            if added.iter().any(|a| a == e.id()) {
                println!("  {}  {}", e.id(), e.spec.title);
            }
        }
    }
    println!(
        "\nNext:\n  cd {}\n  dockdojo doctor      # is Docker ready?\n  dockdojo prepare     # the course's base images\n  dockdojo             # the course app: exercises, tasks, checks as you work\n\nKeep a second terminal open in {} for your docker commands; or work from\nthe CLI alone: `cd {}`, read README.md, then `dockdojo check`.",
        ws.root.display(),
        ws.root.display(),
        entries.first().map(|e| e.id()).unwrap_or(".")
    );
    Ok(Exit::Ok)
}

/// Bare `dockdojo` in the course app image (`DOCKDOJO_IMAGE` set) outside a workspace: in an empty
/// folder mounted from the learner's machine (`-v "$PWD:$PWD" -w "$PWD"`), the workspace is
/// written there and the app opens on it; anywhere else, how to run the image. `None`: nothing to
/// open (the guidance was printed).
pub fn start_in_image(cwd: &std::path::Path) -> Result<Option<Workspace>, Fail> {
    let Ok(image) = std::env::var(images::app_image::ENV) else {
        return Ok(None);
    };
    let empty = std::fs::read_dir(cwd).is_ok_and(|mut d| d.next().is_none());
    let mounted = std::fs::read_to_string("/proc/self/mountinfo")
        .is_ok_and(|info| mount_points(&info).iter().any(|m| m == cwd));
    if empty && mounted {
        let entries = catalog::load()?;
        let (ws, added) = Workspace::init(cwd, &entries).map_err(Fail::usage)?;
        println!(
            "Wrote the course into {} ({} exercises); opening the course app.",
            ws.root.display(),
            added.len()
        );
        return Ok(Some(ws));
    }
    let why = if mounted {
        format!(
            "{} is neither a dockdojo workspace nor empty.",
            cwd.display()
        )
    } else {
        format!(
            "{} is a folder inside the container, not one of your machine's.",
            cwd.display()
        )
    };
    println!(
        "{why}\n\nRun {image} from an empty folder (the course is written there) or from your \
         workspace's top folder, mounting it at the same path:\n\n    docker run --rm -it \
         --network host -v /var/run/docker.sock:/var/run/docker.sock -v \"$PWD:$PWD\" -w \
         \"$PWD\" {image}\n\n(README.md has the whole line, with your user id.)"
    );
    Ok(None)
}

/// The mount points in `/proc/self/mountinfo` (its fifth field, `\040`-style escapes undone).
fn mount_points(info: &str) -> Vec<PathBuf> {
    info.lines()
        .filter_map(|l| l.split(' ').nth(4))
        .map(|m| {
            let mut out = Vec::new();
            let b = m.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let octal = b
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(|c| (b'0'..=b'7').contains(c)));
                match (b[i], octal) {
                    (b'\\', Some(d)) => {
                        out.push((d[0] - b'0') * 64 + (d[1] - b'0') * 8 + (d[2] - b'0'));
                        i += 4;
                    }
                    (c, _) => {
                        out.push(c);
                        i += 1;
                    }
                }
            }
            PathBuf::from(String::from_utf8_lossy(&out).into_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_are_read_with_their_escapes() {
        let info = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw\n\
                    40 22 0:35 /home/ann/my\\040dojo /home/ann/my\\040dojo rw - ext4 /dev/sda1 rw\n";
        assert_eq!(
            mount_points(info),
            [PathBuf::from("/mnt2"), PathBuf::from("/home/ann/my dojo")]
        );
    }
}
