//! The projector board in a real browser (headless Chromium) against the real
//! `dockdojo workshop serve`: students join (one named `<img src=x onerror=alert(1)>`) and
//! report passing and failing checks; the rendered page shows every name as text, never as
//! markup, shows the failing check, and a screenshot of it is a real picture. Also: the page's
//! Content-Security-Policy pins exactly the inline script and style it carries. The join
//! screen at 1280×720, with one student and with 40: the address, the join code and the
//! archive's `prepare --from --sha256` line are there, nothing overflows the viewport, and the
//! QR code in the screenshot decodes to the address.
//!
//! Chromium: Debian's `chromium` package. Without it the browser tests are skipped with a
//! reason, except under CI (`CI=true`), where a missing browser is a failure.
//! `DOCKDOJO_UPDATE_SCREENSHOT=1` also writes the screenshot to book/src/img/workshop-board.png.

mod common;
mod workshop_support;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};
use workshop_support::Server;

const BOARD: &str = include_str!("../src/workshop/board.html");
const HOSTILE: &str = "<img src=x onerror=alert(1)>";
const CJK: &str = "漢字かなカナ한국어漢字かなカナ한국어漢字かなカナ한국어漢字かなカナ한국어";
/// A browser that has not finished in this long is stuck (an open stream, a bug): killed.
const BROWSER_LIMIT: Duration = Duration::from_secs(60);

/// The Chromium binary, or None (skip) when it is missing and this is not CI.
fn chromium() -> Option<&'static str> {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return Some(name);
        }
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "CI is set but chromium is not installed: apt-get install -y chromium"
    );
    eprintln!("skipped: chromium is not installed (apt-get install -y chromium); set CI=true to make this a failure");
    None
}

/// Run headless Chromium on `url` with `args`; its standard output. Killed after
/// [`BROWSER_LIMIT`].
fn browse(bin: &str, args: &[&str], url: &str) -> String {
    let profile = tempfile::tempdir().expect("a browser profile folder");
    let out = tempfile::NamedTempFile::new().expect("an output file");
    let mut child = Command::new(bin)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(out.reopen().expect("output"))
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromium");
    let until = Instant::now() + BROWSER_LIMIT;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "chromium failed: {status}");
            break;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {BROWSER_LIMIT:?} on {url}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    std::fs::read_to_string(out.path()).unwrap_or_default()
}

/// A room with four students (these names): passes, failures on named checks.
fn populated(names: [&str; 4]) -> Server {
    let s = Server::start();
    s.pace(json!({ "unlocked_through": 3 }));
    let first = s.join(names[0]);
    let second = s.join(names[1]);
    let third = s.join(names[2]);
    let fourth = s.join(names[3]);
    s.report(&first, "00-first-container", &[]);
    s.report(&first, "01-writable-layer", &[]);
    s.report(&first, "03-first-dockerfile", &["pinned"]);
    for _ in 0..3 {
        s.report(&second, "01-writable-layer", &["a-has-file"]);
    }
    s.report(&second, "00-first-container", &[]);
    s.report(&third, "00-first-container", &["said-hello"]);
    s.report(&third, "01-writable-layer", &["a-has-file"]);
    s.report(&fourth, "00-first-container", &[]);
    s.setup_report(&first, "doctor", true);
    s.setup_report(&third, "doctor", false);
    s.call(
        "POST",
        "/api/message",
        Some(&s.token()),
        Some(json!({ "kind": "hint", "text": "docker diff <b>shows</b> the writable layer", "exercise": "01-writable-layer" })),
    );
    s
}

/// A fuller room for the picture in the book (names any projector's fonts have).
fn classroom() -> Server {
    let s = Server::start();
    s.pace(json!({ "unlocked_through": 3 }));
    let done = [
        "00-first-container",
        "01-writable-layer",
        "02-graceful-stop",
    ];
    let people = [
        ("Ana Lima", 3, None),
        ("Tomás Ruiz", 2, Some(("02-graceful-stop", "stops-fast", 4))),
        ("Bo Chen", 3, Some(("03-first-dockerfile", "pinned", 1))),
        (
            "Zoë Ångström",
            1,
            Some(("01-writable-layer", "a-has-file", 2)),
        ),
        ("Priya Natarajan", 3, None),
        (
            "Kwame Mensah",
            2,
            Some(("02-graceful-stop", "stops-fast", 1)),
        ),
        (
            "Léa Martin",
            1,
            Some(("01-writable-layer", "a-has-file", 3)),
        ),
        ("Sam O'Neill", 0, None),
    ];
    for (name, passed, failing) in people {
        let t = s.join(name);
        for ex in &done[..passed] {
            s.report(&t, ex, &[]);
        }
        if let Some((ex, check, times)) = failing {
            for _ in 0..times {
                s.report(&t, ex, &[check]);
            }
        }
        s.setup_report(&t, "doctor", name != "Sam O'Neill");
    }
    s.call(
        "POST",
        "/api/message",
        Some(&s.token()),
        Some(json!({ "kind": "message", "text": "Chapter 3 is open: build your first image. Break at 10:30." })),
    );
    s
}

#[test]
fn the_board_shows_names_as_text_never_as_markup() {
    let Some(bin) = chromium() else { return };
    let s = populated(["Ana", HOSTILE, "Bo", CJK]);
    s.pace(json!({ "on_break": true }));
    let url = format!("{}/board?key={}&once=1", s.url, s.board_key());
    let dom = browse(bin, &["--dump-dom"], &url);
    assert!(
        dom.contains("data-rendered=\"1\""),
        "the page did not render a room view:\n{dom}\n{}",
        s.log()
    );
    // The hostile name is there, escaped as text; no element was made from it.
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "the name is not shown as text:\n{dom}"
    );
    assert!(
        !dom.contains("<img src=x onerror"),
        "the name became markup:\n{dom}"
    );
    assert!(
        !dom.to_lowercase().contains("<img"),
        "an <img> element exists:\n{dom}"
    );
    // The message's markup is text too.
    assert!(
        dom.contains("docker diff &lt;b&gt;shows&lt;/b&gt;"),
        "{dom}"
    );
    for name in ["Ana", "Bo", CJK] {
        assert!(dom.contains(name), "{name} is missing:\n{dom}");
    }
    // The failing check, the stuck student's reason and the pacing.
    assert!(
        dom.contains("a-has-file"),
        "the failing check is missing:\n{dom}"
    );
    assert!(dom.contains("01-writable-layer"), "{dom}");
    assert!(dom.contains("Chapters 0–3"), "{dom}");
    assert!(dom.contains("4 students"), "{dom}");
    assert!(dom.contains("self-reported"), "{dom}");
    assert!(
        dom.contains("<body class=\"on-break"),
        "no break banner:\n{dom}"
    );
}

/// A `docker save`-shaped archive (a tar whose manifest.json names one image) in `dir`, and
/// its hex SHA-256.
fn archive(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("course-images.tar");
    let mut b = tar::Builder::new(std::fs::File::create(&path).expect("the archive"));
    let manifest = br#"[{"Config":"c.json","RepoTags":["dockdojo/base:1"],"Layers":[]}]"#;
    let mut h = tar::Header::new_gnu();
    h.set_size(manifest.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "manifest.json", &manifest[..])
        .expect("write the manifest");
    b.into_inner().expect("finish the archive");
    let sha = hex::encode(Sha256::digest(std::fs::read(&path).expect("read it back")));
    (path, sha)
}

/// The board at 1280×720 (`view` as its `view=` parameter, if any): its DOM after the first
/// view, and a screenshot (PNG bytes), kept in `target/board-shots/NAME.png` for a person to look
/// at.
fn board_at_720p(bin: &str, s: &Server, view: Option<&str>, name: &str) -> (String, Vec<u8>) {
    let mut url = format!("{}/board?key={}&once=1", s.url, s.board_key());
    if let Some(v) = view {
        url.push_str(&format!("&view={v}"));
    }
    let dom = dom_at(bin, &url, 1280, 720);
    assert!(
        dom.contains("data-rendered=\"1\""),
        "the page did not render a room view:\n{dom}\n{}",
        s.log()
    );
    let dir = tempfile::tempdir().expect("a folder");
    let png = dir.path().join("board.png");
    browse(
        bin,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1280,720",
        ],
        &url,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("board-shots");
    std::fs::create_dir_all(&shots).expect("a folder for the screenshots");
    std::fs::write(shots.join(format!("{name}.png")), &bytes).expect("keep the screenshot");
    (dom, bytes)
}

/// The DOM of the page at `url` after its first view, laid out in a `width`×`height` viewport.
/// Headless Chromium's `--dump-dom` lays a page out in the window less room for a browser's
/// own bars (its screenshots use the whole window): the page says its viewport
/// (`data-viewport`), and a second run makes the window taller by the difference.
fn dom_at(bin: &str, url: &str, width: u32, height: u32) -> String {
    let viewport = |dom: &str| -> Option<(u32, u32)> {
        let at = dom.find("data-viewport=\"")? + 15;
        let v = &dom[at..at + dom[at..].find('"')?];
        let (w, h) = v.split_once('x')?;
        Some((w.parse().ok()?, h.parse().ok()?))
    };
    let mut window = height;
    for _ in 0..2 {
        let dom = browse(
            bin,
            &["--dump-dom", &format!("--window-size={width},{window}")],
            url,
        );
        match viewport(&dom) {
            Some((_, h)) if h < height => window += height - h,
            _ => return dom,
        }
    }
    browse(
        bin,
        &["--dump-dom", &format!("--window-size={width},{window}")],
        url,
    )
}

/// Every QR code found in a screenshot, decoded.
fn decode_qr(png: &[u8]) -> Vec<String> {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a PNG")
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

/// The join screen's checks shared by the tests below.
fn assert_join_screen(dom: &str, png: &[u8], s: &Server, sha: &str) {
    assert!(
        dom.contains("data-view=\"join\""),
        "not the join screen:\n{dom}"
    );
    assert!(
        dom.contains("data-viewport=\"1280x720\""),
        "the page was not 1280×720:\n{dom}"
    );
    assert!(
        dom.contains("data-overflow=\"none\""),
        "something overflows (ids in data-overflow):\n{dom}"
    );
    let code = s.code();
    assert!(
        dom.contains(&format!(
            "<div id=\"join-url\" class=\"mono\">{}</div>",
            s.url
        )),
        "no join URL:\n{dom}"
    );
    assert!(
        dom.contains(&format!(
            "<div id=\"join-code\" class=\"mono\">{code}</div>"
        )),
        "no join code {code}:\n{dom}"
    );
    assert!(
        dom.contains(&format!(
            "dockdojo workshop join {} {code} --name \"Your Name\"",
            s.url
        )),
        "no join command:\n{dom}"
    );
    assert!(
        dom.contains(&format!(
            "<div id=\"join-prepare\" class=\"cmd mono\">dockdojo prepare --from {} --sha256 {sha}</div>",
            s.url
        )),
        "no prepare line with the archive's SHA-256 {sha}:\n{dom}"
    );
    assert!(
        dom.contains(&format!("aria-label=\"QR code of {}\"", s.url)),
        "{dom}"
    );
    assert_eq!(
        decode_qr(png),
        vec![s.url.clone()],
        "the screenshot's QR code is not the join URL"
    );
}

#[test]
fn the_join_screen_fits_720p_and_its_qr_code_opens_the_join_url() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().expect("a folder");
    let (path, sha) = archive(dir.path());
    let s = Server::start_with(&[OsStr::new("--archive"), path.as_os_str()]);
    s.join(HOSTILE);
    // Few students: the board shows the join screen by itself.
    let (dom, png) = board_at_720p(bin, &s, None, "join-screen");
    assert_join_screen(&dom, &png, &s, &sha);
    assert!(dom.contains("1 student joined"), "{dom}");
    let kb = (std::fs::metadata(&path).expect("the archive").len() as f64 / 1e3).round();
    assert!(
        dom.contains(&format!("no internet needed ({kb} kB)")),
        "{dom}"
    );
    // The student's name is text there too.
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"), "{dom}");
    assert!(!dom.to_lowercase().contains("<img"), "{dom}");
}

#[test]
fn the_join_screen_with_forty_students() {
    let Some(bin) = chromium() else { return };
    let dir = tempfile::tempdir().expect("a folder");
    let (path, sha) = archive(dir.path());
    let s = Server::start_with(&[OsStr::new("--archive"), path.as_os_str()]);
    // Names as long as names may be (40 characters).
    let name = |i: u32| -> String {
        format!("Student {i:02} Featherstonehaugh-Wolfeschlegelstein")
            .chars()
            .take(40)
            .collect()
    };
    for i in 1..=40 {
        s.join(&name(i));
    }
    // A full room shows the room by itself...
    let dom = dom_at(
        bin,
        &format!("{}/board?key={}&once=1", s.url, s.board_key()),
        1280,
        720,
    );
    assert!(dom.contains("data-view=\"room\""), "{dom}");
    // ...and the join screen when the instructor asks for it.
    let (dom, png) = board_at_720p(bin, &s, Some("join"), "join-screen-40");
    assert_join_screen(&dom, &png, &s, &sha);
    assert!(dom.contains("40 students joined"), "{dom}");
    assert!(dom.contains("and 28 more"), "{dom}");
    // The latest students first, as text.
    let people = &dom[dom.find("<div id=\"join-people\"").expect("the names")..];
    let people = &people[..people.find("</div>").expect("their end")];
    assert!(
        people.contains(&format!(
            "<span class=\"who\">{} · {} · ",
            name(40),
            name(39)
        )),
        "the latest student first:\n{people}"
    );
    assert!(!people.contains(&name(28)), "{people}");
}

#[test]
fn without_an_archive_the_join_screen_has_no_prepare_line() {
    let Some(bin) = chromium() else { return };
    let s = Server::start();
    let (dom, png) = board_at_720p(bin, &s, None, "join-screen-empty");
    assert!(dom.contains("data-view=\"join\""), "{dom}");
    assert!(dom.contains("data-overflow=\"none\""), "{dom}");
    assert!(dom.contains("Nobody has joined yet"), "{dom}");
    assert!(
        dom.contains("<div id=\"join-archive\" class=\"\">"),
        "{dom}"
    );
    assert!(!dom.contains("dockdojo prepare"), "{dom}");
    assert_eq!(decode_qr(&png), vec![s.url.clone()]);
}

#[test]
fn a_wrong_key_shows_no_room() {
    let Some(bin) = chromium() else { return };
    let s = populated(["Ana", HOSTILE, "Bo", CJK]);
    let dom = browse(
        bin,
        &["--dump-dom"],
        &format!("{}/board?key=wrong&once=1", s.url),
    );
    assert!(!dom.contains("Ana"), "{dom}");
    assert!(!dom.contains("data-rendered"), "{dom}");
    // The join code and the address come only with the board key.
    assert!(!dom.contains(&s.code()), "{dom}");
    assert!(!dom.contains("dockdojo workshop join"), "{dom}");
}

#[test]
fn a_screenshot_of_the_populated_board() {
    let Some(bin) = chromium() else { return };
    let s = classroom();
    let dir = tempfile::tempdir().expect("a folder");
    let png = dir.path().join("board.png");
    let url = format!("{}/board?key={}&once=1", s.url, s.board_key());
    browse(
        bin,
        &[
            &format!("--screenshot={}", png.display()),
            "--window-size=1600,900",
        ],
        &url,
    );
    let bytes = std::fs::read(&png).expect("chromium wrote the screenshot");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert!(
        bytes.len() > 40 * 1024,
        "a {} byte screenshot is too small to show a populated board",
        bytes.len()
    );
    if std::env::var_os("DOCKDOJO_UPDATE_SCREENSHOT").is_some() {
        let dest = Path::new(env!("CARGO_MANIFEST_DIR")).join("book/src/img/workshop-board.png");
        std::fs::create_dir_all(dest.parent().expect("a parent")).expect("book/src/img");
        std::fs::write(&dest, &bytes).expect("write the book's screenshot");
    }
}

/// The CSP `<meta>` allows exactly the page's own inline script and style (by hash), loads
/// nothing from anywhere else, and the page never assigns `innerHTML`.
#[test]
fn the_csp_pins_the_inline_script_and_style() {
    let inline = |tag: &str| {
        let open = format!("<{tag}>");
        let start = BOARD.find(&open).expect("an inline block") + open.len();
        let end = BOARD[start..].find(&format!("</{tag}>")).expect("its end") + start;
        format!("'sha256-{}'", base64(&Sha256::digest(&BOARD[start..end])))
    };
    let csp_start = BOARD
        .find("http-equiv=\"Content-Security-Policy\" content=\"")
        .expect("a CSP meta");
    let csp = &BOARD[csp_start..];
    let csp = &csp[csp.find("content=\"").expect("content") + 9..];
    let csp = &csp[..csp.find('"').expect("end")];
    let (script, style) = (inline("script"), inline("style"));
    assert!(
        csp.contains(&format!("script-src {script}")) && csp.contains(&format!("style-src {style}")),
        "board.html changed: set script-src {script} and style-src {style} in its CSP meta (now: {csp})"
    );
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("connect-src 'self'"), "{csp}");
    assert!(!BOARD.contains("innerHTML") && !BOARD.contains("insertAdjacentHTML"));
    assert!(
        !BOARD.contains("http://") && !BOARD.contains("https://"),
        "no external resources"
    );
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
