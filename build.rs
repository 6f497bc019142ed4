//! Embeds the exercise catalog: tells cargo to rebuild when anything under `exercises/` changes
//! (include_dir alone does not notice new files) and records which files are executable, since
//! include_dir drops the exec bit.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        println!("cargo:rerun-if-changed={}", p.display());
        if p.is_dir() {
            walk(root, &p, out);
        } else if let Ok(m) = p.metadata() {
            if m.permissions().mode() & 0o111 != 0 {
                out.push(p.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
}

fn main() {
    let root = Path::new("exercises");
    println!("cargo:rerun-if-changed=exercises");
    println!("cargo:rerun-if-changed=book");
    let mut exec = Vec::new();
    walk(root, root, &mut exec);
    exec.sort();
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&out).join("exec_bits.txt"), exec.join("\n")).unwrap();
}
