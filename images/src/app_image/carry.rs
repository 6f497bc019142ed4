//! What the app image carries from this machine: a program and, when it is dynamically linked,
//! its loader and every shared library it needs (found where the loader finds them), under
//! `/opt/dockdojo/lib`. A carried program runs through a wrapper on `PATH` that starts it with
//! that loader and that folder only (`ld.so --library-path`), so it runs on the image's own C
//! library whatever its version, and nothing else in the image (bash, the tools `setup.sh` uses)
//! sees these libraries. A static program goes on `PATH` as it is.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::busybox::{elf_info, ElfInfo};
use crate::registry::image_relative;
use crate::registry::libs::{linking, multiarch};

/// Where carried programs and their libraries live in the image.
pub(crate) const ROOT: &str = "/opt/dockdojo";
pub(crate) const BIN_DIR: &str = "/opt/dockdojo/bin";
pub(crate) const LIB_DIR: &str = "/opt/dockdojo/lib";
/// Where the names learners type are (on the Debian image's `PATH`).
pub(crate) const PATH_DIR: &str = "/usr/local/bin";

/// A file of the image: absolute path, mode, bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageFile {
    pub path: String,
    pub mode: u32,
    pub data: Vec<u8>,
}

/// The files that carry the programs: each program (`name`, its bytes), its wrapper, and one copy
/// of each library they need (keyed by file name in [`LIB_DIR`]). `arch` is the daemon's machine:
/// every program and library must be built for it.
pub(crate) fn carry(programs: &[(&str, &[u8])], arch: &ElfInfo) -> Result<Vec<ImageFile>, String> {
    let mut libs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut files = Vec::new();
    for (name, bytes) in programs {
        let elf = elf_info(bytes).map_err(|e| format!("{name}: {e}"))?;
        if !same_machine(&elf, arch) {
            return Err(format!(
                "{name} is built for another processor than the Docker daemon's"
            ));
        }
        let links = linking(bytes).map_err(|e| format!("{name}: {e}"))?;
        let Some(interp) = links.interpreter.clone() else {
            files.push(ImageFile {
                path: format!("{PATH_DIR}/{name}"),
                mode: 0o755,
                data: bytes.to_vec(),
            });
            continue;
        };
        if image_relative(&interp).is_none() {
            return Err(format!(
                "{name} asks for an unusual program interpreter `{interp}`"
            ));
        }
        let loader = file_name(&interp);
        add_library(&mut libs, &loader, Path::new(&interp), &elf)?;
        let mut queue = links.needed.clone();
        while let Some(soname) = queue.pop() {
            if soname == loader || libs.contains_key(&soname) {
                continue;
            }
            let found = find_library(&soname, &elf).ok_or_else(|| {
                format!("{name} needs {soname}, which is not in this machine's library folders")
            })?;
            let data = add_library(&mut libs, &soname, &found, &elf)?;
            let own = linking(&data).map_err(|e| format!("{}: {e}", found.display()))?;
            queue.extend(own.needed);
        }
        files.push(ImageFile {
            path: format!("{BIN_DIR}/{name}"),
            mode: 0o755,
            data: bytes.to_vec(),
        });
        files.push(ImageFile {
            path: format!("{PATH_DIR}/{name}"),
            mode: 0o755,
            data: wrapper(name, &loader).into_bytes(),
        });
    }
    files.extend(libs.into_iter().map(|(name, data)| ImageFile {
        path: format!("{LIB_DIR}/{name}"),
        mode: 0o755,
        data,
    }));
    Ok(files)
}

/// The script on `PATH` that runs a carried program with its own loader and libraries. (Run
/// through the loader, the program's `argv[0]` is its own path, not the loader's.)
pub(crate) fn wrapper(name: &str, loader: &str) -> String {
    format!(
        "#!/bin/sh\n# {name}, run with the loader and libraries it was built with.\nexec \
         {LIB_DIR}/{loader} --library-path {LIB_DIR} {BIN_DIR}/{name} \"$@\"\n"
    )
}

fn file_name(path: &str) -> String {
    Path::new(path)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn same_machine(a: &ElfInfo, b: &ElfInfo) -> bool {
    (a.machine, a.class64, a.little_endian) == (b.machine, b.class64, b.little_endian)
}

/// Read a library of the host (following symlinks), check its machine, keep it under `name`.
fn add_library(
    libs: &mut BTreeMap<String, Vec<u8>>,
    name: &str,
    path: &Path,
    elf: &ElfInfo,
) -> Result<Vec<u8>, String> {
    let real = std::fs::canonicalize(path)
        .map_err(|e| format!("the host has no {}: {e}", path.display()))?;
    let data = std::fs::read(&real).map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    let info = elf_info(&data).map_err(|e| format!("{}: {e}", real.display()))?;
    if !same_machine(&info, elf) {
        return Err(format!(
            "the host's {} is built for another processor",
            real.display()
        ));
    }
    libs.insert(name.to_string(), data.clone());
    Ok(data)
}

/// Where the loader would find `soname` for a program of `elf`'s machine: the multiarch folders,
/// then the classic ones.
fn find_library(soname: &str, elf: &ElfInfo) -> Option<PathBuf> {
    if soname.contains('/') {
        return None;
    }
    let mut dirs: Vec<String> = Vec::new();
    for tuple in multiarch(elf) {
        dirs.push(format!("/lib/{tuple}"));
        dirs.push(format!("/usr/lib/{tuple}"));
    }
    if elf.class64 {
        dirs.extend(["/lib64", "/usr/lib64"].map(String::from));
    }
    dirs.extend(["/lib", "/usr/lib"].map(String::from));
    dirs.into_iter()
        .map(|d| Path::new(&d).join(soname))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_runs_the_program_through_its_own_loader() {
        let w = wrapper("dockdojo", "ld-linux-x86-64.so.2");
        assert!(w.starts_with("#!/bin/sh\n"), "{w}");
        assert!(
            w.contains(
                "exec /opt/dockdojo/lib/ld-linux-x86-64.so.2 --library-path /opt/dockdojo/lib \
                 /opt/dockdojo/bin/dockdojo \"$@\""
            ),
            "{w}"
        );
    }

    /// This test binary itself: dynamically linked on a glibc host, it comes with its loader and
    /// C library, each once, and its wrapper; a static one goes on PATH as it is.
    #[test]
    fn a_program_comes_with_its_loader_and_libraries() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let elf = elf_info(&me).unwrap();
        let files = carry(&[("me", &me), ("again", &me)], &elf).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        if !elf.interpreter {
            assert_eq!(paths, ["/usr/local/bin/me", "/usr/local/bin/again"]);
            return;
        }
        assert!(paths.contains(&"/opt/dockdojo/bin/me"), "{paths:?}");
        assert!(paths.contains(&"/usr/local/bin/me"), "{paths:?}");
        assert!(paths.contains(&"/opt/dockdojo/bin/again"), "{paths:?}");
        let libs: Vec<&str> = paths
            .iter()
            .filter_map(|p| p.strip_prefix("/opt/dockdojo/lib/"))
            .collect();
        let links = linking(&me).unwrap();
        let loader = file_name(&links.interpreter.unwrap());
        assert!(libs.contains(&loader.as_str()), "{libs:?}");
        for n in &links.needed {
            assert_eq!(
                libs.iter().filter(|l| *l == n).count(),
                1,
                "{n} in {libs:?}"
            );
        }
    }

    #[test]
    fn a_program_for_another_processor_is_refused() {
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let mut other = elf_info(&me).unwrap();
        other.machine = other.machine.wrapping_add(1);
        let err = carry(&[("me", &me)], &other).unwrap_err();
        assert!(err.contains("another processor"), "{err}");
    }
}
