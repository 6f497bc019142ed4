//! The board's join screen: the address students use, the join code, a QR code of the address
//! (an SVG drawn here, so the board needs nothing from the network) and, when the server hands
//! out the course image archive, the `dockdojo prepare --from URL --sha256 HEX` line. It reaches
//! the board in its event stream, behind the board key, never in the public page.

use std::net::{IpAddr, SocketAddr, UdpSocket};

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

use super::guard;
use crate::workshop::proto::{ImageManifest, JoinArchive, JoinScreen};

/// Stands for the instructor's address when the server could not find it.
const PLACEHOLDER_HOST: &str = "<your-address>";

/// The address this machine uses on its main network (no packet is sent).
fn primary_address(v6: bool) -> Option<IpAddr> {
    let (local, remote) = if v6 {
        ("[::]:0", "[2001:db8::1]:9")
    } else {
        ("0.0.0.0:0", "192.0.2.1:9")
    };
    let s = UdpSocket::bind(local).ok()?;
    s.connect(remote).ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

/// The base URL students join at: the bound address, or this machine's main address when
/// bound to every network (`None` if there is none), or `local_url` on loopback.
pub(super) fn student_url(bound: SocketAddr, local_url: &str) -> Option<String> {
    let ip = bound.ip();
    if ip.is_unspecified() {
        primary_address(ip.is_ipv6())
            .map(|a| format!("http://{}", guard::authority(a, bound.port())))
    } else if ip.is_loopback() {
        Some(local_url.to_string())
    } else {
        Some(format!("http://{}", guard::authority(ip, bound.port())))
    }
}

/// The URL to show when [`student_url`] found none.
pub(super) fn placeholder_url(port: u16) -> String {
    format!("http://{PLACEHOLDER_HOST}:{port}")
}

pub(super) fn join_command(url: &str, code: &str) -> String {
    format!("dockdojo workshop join {url} {code} --name \"Your Name\"")
}

pub(super) fn prepare_command(url: &str, sha256: &str) -> String {
    format!("dockdojo prepare --from {url} --sha256 {sha256}")
}

/// A QR code of `text` as a standalone SVG document (black on white, with its quiet zone);
/// `None` if the text does not fit in a QR code.
pub(super) fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(256, 256)
            .dark_color(svg::Color("#000"))
            .light_color(svg::Color("#fff"))
            .quiet_zone(true)
            .build(),
    )
}

/// The parts of the join screen fixed at start (the join code can change: it is passed in).
pub(super) struct JoinInfo {
    url: Option<String>,
    port: u16,
    qr_svg: Option<String>,
    archive: Option<(String, u64)>,
}

impl JoinInfo {
    pub(super) fn new(url: Option<String>, port: u16, manifest: Option<&ImageManifest>) -> Self {
        let qr_svg = url.as_deref().and_then(qr_svg);
        JoinInfo {
            url,
            port,
            qr_svg,
            archive: manifest.map(|m| (m.sha256.clone(), m.size)),
        }
    }

    /// The join screen with join code `code` (as shown to people, dashes included).
    pub(super) fn screen(&self, code: &str) -> JoinScreen {
        let shown = self
            .url
            .clone()
            .unwrap_or_else(|| placeholder_url(self.port));
        JoinScreen {
            url: self.url.clone(),
            code: code.to_string(),
            command: join_command(&shown, code),
            qr_svg: self.qr_svg.clone(),
            archive: self.archive.as_ref().map(|(sha256, size)| JoinArchive {
                sha256: sha256.clone(),
                size: *size,
                command: prepare_command(&shown, sha256),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draw the SVG's dark path (`M x y h w v h H x V y` per module, as the `qrcode` crate
    /// writes it) at one pixel per SVG unit; the rectangle before it is the white background.
    fn rasterize(svg: &str) -> image::GrayImage {
        let attr = |name: &str| -> u32 {
            let at = svg.find(&format!(" {name}=\"")).expect(name) + name.len() + 3;
            svg[at..][..svg[at..].find('"').expect("end")]
                .parse()
                .expect("a number")
        };
        let (w, h) = (attr("width"), attr("height"));
        let mut img = image::GrayImage::from_pixel(w, h, image::Luma([255]));
        let d_at = svg.find("fill=\"#000\" d=\"").expect("the dark path") + 15;
        let d = &svg[d_at..][..svg[d_at..].find('"').expect("end")];
        for module in d.split('M').filter(|m| !m.is_empty()) {
            let nums: Vec<u32> = module
                .split(|c: char| !c.is_ascii_digit())
                .filter(|n| !n.is_empty())
                .map(|n| n.parse().expect("a number"))
                .collect();
            // x y w h x y
            let [x, y, mw, mh, ..] = nums[..] else {
                panic!("an unexpected path segment {module:?}")
            };
            for yy in y..y + mh {
                for xx in x..x + mw {
                    img.put_pixel(xx, yy, image::Luma([0]));
                }
            }
        }
        img
    }

    fn decode(img: image::GrayImage) -> Vec<String> {
        let mut prepared = rqrr::PreparedImage::prepare(img);
        prepared
            .detect_grids()
            .into_iter()
            .map(|g| g.decode().expect("a readable QR code").1)
            .collect()
    }

    #[test]
    fn the_qr_svg_decodes_to_the_url() {
        for url in [
            "http://127.0.0.1:8080",
            "http://[fe80::1]:41234",
            "http://classroom-laptop.local:9000",
        ] {
            let svg = qr_svg(url).expect("an SVG");
            assert!(svg.contains("<svg") && svg.ends_with("</svg>"), "{svg}");
            // Nothing but the picture: no text, no script, no link.
            for bad in ["<script", "<text", "href", " on", "<foreignObject", url] {
                let body = &svg[svg.find("<svg").expect("svg")..];
                let body = body.replace("version", "").replace("crispEdges", "");
                assert!(!body.contains(bad), "the SVG holds {bad:?}: {svg}");
            }
            assert_eq!(decode(rasterize(&svg)), vec![url.to_string()]);
        }
    }

    #[test]
    fn too_long_a_text_has_no_qr() {
        assert!(qr_svg(&"x".repeat(5000)).is_none());
    }

    #[test]
    fn the_screen_has_the_commands_students_run() {
        let manifest = ImageManifest {
            sha256: "ab".repeat(32),
            size: 123_000_000,
            images: vec!["dockdojo/base:1".into()],
        };
        let info = JoinInfo::new(Some("http://10.0.0.5:8080".into()), 8080, Some(&manifest));
        let s = info.screen("abcd-efgh-jkmn-pqrs-tuvw");
        assert_eq!(s.url.as_deref(), Some("http://10.0.0.5:8080"));
        assert_eq!(s.code, "abcd-efgh-jkmn-pqrs-tuvw");
        assert_eq!(
            s.command,
            "dockdojo workshop join http://10.0.0.5:8080 abcd-efgh-jkmn-pqrs-tuvw --name \"Your Name\""
        );
        let a = s.archive.expect("the archive line");
        assert_eq!(a.sha256, "ab".repeat(32));
        assert_eq!(a.size, 123_000_000);
        assert_eq!(
            a.command,
            format!(
                "dockdojo prepare --from http://10.0.0.5:8080 --sha256 {}",
                "ab".repeat(32)
            )
        );
        assert!(s.qr_svg.is_some());
    }

    #[test]
    fn without_an_address_the_screen_says_so_and_has_no_qr() {
        let s = JoinInfo::new(None, 8080, None).screen("abcd");
        assert_eq!(s.url, None);
        assert_eq!(s.qr_svg, None);
        assert_eq!(s.archive, None);
        assert!(
            s.command.contains("http://<your-address>:8080 abcd"),
            "{}",
            s.command
        );
    }

    #[test]
    fn the_student_url_follows_the_bound_address() {
        let local = "http://127.0.0.1:8080";
        assert_eq!(
            student_url("127.0.0.1:8080".parse().unwrap(), local).as_deref(),
            Some(local)
        );
        assert_eq!(
            student_url("10.1.2.3:9000".parse().unwrap(), local).as_deref(),
            Some("http://10.1.2.3:9000")
        );
        assert_eq!(
            student_url("[fe80::1]:9000".parse().unwrap(), local).as_deref(),
            Some("http://[fe80::1]:9000")
        );
        // Every network: this machine's main address, if it has one, never 0.0.0.0.
        if let Some(u) = student_url("0.0.0.0:9000".parse().unwrap(), local) {
            assert!(!u.contains("0.0.0.0") && u.ends_with(":9000"), "{u}");
        }
    }
}
