//! `volume`: the data is in the named volume itself (copied out of a fresh, never started probe
//! container that mounts it).

use crate::common::{check, docker, grade, Fixture, Live, BASE};

#[tokio::test]
async fn volume_holds_the_file_or_says_what_is_missing() {
    let mut live = Live::new();
    let data = live.volume("data");
    // Written by a container that is gone afterwards: the data must outlive it.
    let mount = format!("{data}:/data");
    docker(&[
        "run",
        "--rm",
        "-v",
        &mount,
        BASE,
        "sh",
        "-c",
        "echo saved-42 > /data/notes.txt && mkdir -p /data/sub/folder.txt && \
         echo linked-7 > /data/sub/real.txt && ln -s sub/real.txt /data/link.txt",
    ]);
    let nothing = live.name("nothing");
    let vol = |v: &str, more: &str| format!("volume = \"{v}\"\n{more}");
    let checks = [
        check(
            "holds",
            "volume",
            &vol(&data, "file = \"notes.txt\"\ncontains = \"saved-42\""),
        ),
        check(
            "absolute-path",
            "volume",
            &vol(&data, "file = \"/notes.txt\""),
        ),
        check(
            "wrong-content",
            "volume",
            &vol(&data, "file = \"notes.txt\"\ncontains = \"saved-43\""),
        ),
        check("no-file", "volume", &vol(&data, "file = \"missing.txt\"")),
        // As `cat` reads them: a symbolic link inside the volume is followed, a folder is no file.
        check(
            "relative-link",
            "volume",
            &vol(&data, "file = \"link.txt\"\ncontains = \"linked-7\""),
        ),
        check(
            "nested",
            "volume",
            &vol(&data, "file = \"sub/real.txt\"\ncontains = \"linked-7\""),
        ),
        check("folder", "volume", &vol(&data, "file = \"sub/folder.txt\"")),
        check(
            "no-volume",
            "volume",
            &vol(&nothing, "file = \"notes.txt\""),
        ),
    ]
    .concat();
    let fx = Fixture::new();
    let g = grade("90-volume", "live", &checks, fx.path()).await;
    assert!(g
        .passed("holds")
        .actual
        .contains(&format!("notes.txt found in volume {data}")));
    g.passed("absolute-path");
    g.failed(
        "wrong-content",
        &[
            "containing \"saved-43\"",
            &format!("notes.txt in {data} contains: saved-42"),
        ],
    );
    g.failed(
        "no-file",
        &[
            &format!("{data} exists but has no missing.txt"),
            "Mount the named volume",
        ],
    );
    g.passed("relative-link");
    g.passed("nested");
    g.failed(
        "folder",
        &[&format!("{data} exists but has no sub/folder.txt")],
    );
    g.failed(
        "no-volume",
        &[
            &format!("there is no volume named {nothing}"),
            "docker volume ls",
        ],
    );
}
