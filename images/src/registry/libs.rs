//! The registry's dynamic loader and C library, taken from the host, and the ELF reading that
//! says which ones it needs (its program interpreter and `DT_NEEDED` entries).

use std::path::{Path, PathBuf};

use super::{image_relative, Library, Registry, GO_AROUND, LIBC};
use crate::busybox::{elf_info, ElfInfo};

/// The host's dynamic loader (at the binary's `PT_INTERP` path) and C library (at
/// `/lib/<multiarch>/libc.so.6`) for the registry; an error when it needs anything else.
pub(super) async fn host_libraries(
    registry: &Registry,
    elf: &ElfInfo,
) -> Result<Vec<Library>, String> {
    let origin = &registry.origin;
    let links = linking(&registry.binary).map_err(|e| format!("{origin}: {e}"))?;
    let Some(interp) = loader_for(&links, origin)? else {
        return Ok(Vec::new()); // statically linked: nothing to carry
    };
    let loader = read_host_object(Path::new(&interp), elf).await?;
    let loader_name = Path::new(&interp)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut libs = vec![Library {
        path: interp.clone(),
        data: loader,
    }];
    if !links.needed.iter().any(|n| n == LIBC) {
        return Ok(libs);
    }
    let tuples = multiarch(elf);
    if tuples.is_empty() {
        return Err(format!(
            "no known multiarch directory for the registry's architecture (ELF machine {}); \
             {GO_AROUND}.",
            elf.machine
        ));
    }
    let mut tried = Vec::new();
    for tuple in tuples {
        for dir in [format!("/lib/{tuple}"), format!("/usr/lib/{tuple}")] {
            let candidate = PathBuf::from(&dir).join(LIBC);
            if !tokio::fs::metadata(&candidate)
                .await
                .is_ok_and(|m| m.is_file())
            {
                tried.push(candidate.display().to_string());
                continue;
            }
            let data = read_host_object(&candidate, elf).await?;
            let own = linking(&data).map_err(|e| format!("{}: {e}", candidate.display()))?;
            let extra: Vec<&str> = own
                .needed
                .iter()
                .map(String::as_str)
                .filter(|n| *n != loader_name)
                .collect();
            if !extra.is_empty() {
                return Err(format!(
                    "the host's {} needs {} besides the loader; {GO_AROUND}.",
                    candidate.display(),
                    extra.join(", ")
                ));
            }
            libs.push(Library {
                path: format!("/lib/{tuple}/{LIBC}"),
                data,
            });
            return Ok(libs);
        }
    }
    Err(format!(
        "the registry needs the C library, but the host has none at {}",
        tried.join(" or ")
    ))
}

/// The program interpreter an executable linked as `links` needs (`None` when it is static); an
/// error when it needs any library besides the C library, or an odd interpreter.
pub(crate) fn loader_for(links: &Linking, origin: &str) -> Result<Option<String>, String> {
    let Some(interp) = &links.interpreter else {
        if links.needed.is_empty() {
            return Ok(None);
        }
        return Err(format!(
            "{origin} names shared libraries ({}) but no program interpreter",
            links.needed.join(", ")
        ));
    };
    let others: Vec<&str> = links
        .needed
        .iter()
        .map(String::as_str)
        .filter(|n| *n != LIBC)
        .collect();
    if !others.is_empty() {
        return Err(format!(
            "the registry ({origin}) needs {} besides the C library, and the stand-in carries \
             only the loader and {LIBC}; {GO_AROUND}.",
            others.join(", ")
        ));
    }
    if image_relative(interp).is_none() {
        return Err(format!(
            "{origin} asks for an unusual program interpreter `{interp}`"
        ));
    }
    Ok(Some(interp.clone()))
}

/// Read a shared object of the host (following symlinks) and check it suits `elf`'s machine.
async fn read_host_object(path: &Path, elf: &ElfInfo) -> Result<Vec<u8>, String> {
    let real = tokio::fs::canonicalize(path)
        .await
        .map_err(|e| format!("the host has no {}: {e}", path.display()))?;
    let data = tokio::fs::read(&real)
        .await
        .map_err(|e| format!("cannot read {}: {e}", real.display()))?;
    let info = elf_info(&data).map_err(|e| format!("{}: {e}", real.display()))?;
    if (info.machine, info.class64, info.little_endian)
        != (elf.machine, elf.class64, elf.little_endian)
    {
        return Err(format!(
            "the host's {} is not built for the registry's architecture",
            real.display()
        ));
    }
    Ok(data)
}

/// Debian's multiarch tuples for an executable's architecture (where its `libc.so.6` lives).
pub(crate) fn multiarch(elf: &ElfInfo) -> &'static [&'static str] {
    match (elf.machine, elf.class64, elf.little_endian) {
        (62, true, _) => &["x86_64-linux-gnu"],
        (3, false, _) => &["i386-linux-gnu"],
        (183, true, _) => &["aarch64-linux-gnu"],
        (40, false, _) => &["arm-linux-gnueabihf", "arm-linux-gnueabi"],
        (21, true, true) => &["powerpc64le-linux-gnu"],
        (22, true, _) => &["s390x-linux-gnu"],
        (243, true, _) => &["riscv64-linux-gnu"],
        _ => &[],
    }
}

/// `2.36` from glibc's own banner (`… stable release version 2.36.`).
pub(crate) fn glibc_version(libc: &[u8]) -> Option<String> {
    const MARK: &[u8] = b"release version ";
    let at = libc.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let v: String = libc[at..]
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_digit() || **b == b'.')
        .map(|b| char::from(*b))
        .collect();
    let v = v.trim_end_matches('.');
    (!v.is_empty()).then(|| v.to_string())
}

/// How an executable is linked: what its program headers and dynamic section ask for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Linking {
    /// The `PT_INTERP` path (`/lib64/ld-linux-x86-64.so.2`); none for a static executable.
    pub interpreter: Option<String>,
    /// The `DT_NEEDED` names (`libc.so.6`), in order.
    pub needed: Vec<String>,
}

const PT_LOAD: u64 = 1;
const PT_DYNAMIC: u64 = 2;
const PT_INTERP: u64 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;

/// Read the program interpreter and the needed libraries of an ELF file from its program headers
/// (the dynamic string table is found through the `PT_LOAD` segment that maps it).
pub(crate) fn linking(bytes: &[u8]) -> Result<Linking, String> {
    let info = elf_info(bytes)?;
    let (class64, little) = (info.class64, info.little_endian);
    let truncated = || "truncated ELF file".to_string();
    let slice = |offset: u64, len: u64| -> Result<&[u8], String> {
        let start = usize::try_from(offset).map_err(|_| truncated())?;
        let len = usize::try_from(len).map_err(|_| truncated())?;
        let end = start.checked_add(len).ok_or_else(truncated)?;
        bytes.get(start..end).ok_or_else(truncated)
    };
    let field = |at: u64, len: usize| -> Result<u64, String> {
        let b = slice(at, len as u64)?;
        let mut v: u64 = 0;
        for i in 0..len {
            let byte = if little { b[len - 1 - i] } else { b[i] };
            v = (v << 8) | u64::from(byte);
        }
        Ok(v)
    };
    let plus = |at: u64, delta: u64| at.checked_add(delta).ok_or_else(truncated);
    let word = if class64 { 8 } else { 4 };
    let (phoff, phentsize, phnum) = if class64 {
        (field(32, 8)?, field(54, 2)?, field(56, 2)?)
    } else {
        (field(28, 4)?, field(42, 2)?, field(44, 2)?)
    };
    // (type, file offset, virtual address, size in the file)
    let mut segments: Vec<(u64, u64, u64, u64)> = Vec::new();
    for i in 0..phnum {
        let at = phoff.checked_add(i * phentsize).ok_or_else(truncated)?;
        let kind = field(at, 4)?;
        let (offset, vaddr, filesz) = if class64 {
            let f = |delta| field(plus(at, delta)?, 8);
            (f(8)?, f(16)?, f(32)?)
        } else {
            let f = |delta| field(plus(at, delta)?, 4);
            (f(4)?, f(8)?, f(16)?)
        };
        segments.push((kind, offset, vaddr, filesz));
    }
    let c_string = |b: &[u8]| b.split(|c| *c == 0).next().unwrap_or_default().to_vec();

    let interpreter = match segments.iter().find(|s| s.0 == PT_INTERP) {
        None => None,
        Some(&(_, offset, _, filesz)) => Some(
            String::from_utf8(c_string(slice(offset, filesz)?))
                .map_err(|_| "the program interpreter's path is not UTF-8".to_string())?,
        ),
    };

    let mut needed = Vec::new();
    if let Some(&(_, offset, _, filesz)) = segments.iter().find(|s| s.0 == PT_DYNAMIC) {
        let entsize = 2 * word as u64;
        let (mut names, mut strtab, mut strsz) = (Vec::new(), None, None);
        for i in 0..filesz / entsize {
            let at = plus(offset, i * entsize)?;
            let (tag, val) = (field(at, word)?, field(plus(at, word as u64)?, word)?);
            match tag {
                DT_NULL => break,
                DT_NEEDED => names.push(val),
                DT_STRTAB => strtab = Some(val),
                DT_STRSZ => strsz = Some(val),
                _ => {}
            }
        }
        if !names.is_empty() {
            let addr = strtab.ok_or("a dynamic section without a string table")?;
            let &(_, seg_offset, vaddr, seg_size) = segments
                .iter()
                .find(|s| s.0 == PT_LOAD && s.2 <= addr && addr - s.2 < s.3)
                .ok_or("the dynamic string table is not in the file")?;
            let available = seg_size - (addr - vaddr);
            let table = slice(
                plus(seg_offset, addr - vaddr)?,
                strsz.map_or(available, |n| n.min(available)),
            )?;
            for name in names {
                let rest = usize::try_from(name)
                    .ok()
                    .and_then(|n| table.get(n..))
                    .ok_or("a needed library's name is outside the string table")?;
                needed.push(String::from_utf8_lossy(&c_string(rest)).into_owned());
            }
        }
    }
    Ok(Linking {
        interpreter,
        needed,
    })
}
