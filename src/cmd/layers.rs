//! `dockdojo layers IMAGE [--json] [--top N]`: each layer of a local image with its size, the
//! instruction that made it and its biggest files, then what was deleted or replaced later but
//! still ships.

use crate::exit::{CmdResult, Exit, Fail};
use crate::layers::{self, human_size, ImageLayers, LayersError};
use crate::output::Style;

pub async fn run(image: String, json: bool, top: usize) -> CmdResult {
    let engine = super::connect().await?;
    let explored = match layers::explore(&engine.docker, &image).await {
        Ok(x) => x,
        Err(LayersError::NotFound(i)) => {
            return Err(Fail::usage(LayersError::NotFound(i)));
        }
        Err(LayersError::Env(e)) => return Err(e.into()),
        Err(e) => return Err(Fail::env(e)),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&explored).map_err(anyhow::Error::from)?
        );
    } else {
        print!("{}", render(&explored, top, &Style::stdout()));
    }
    Ok(Exit::Ok)
}

/// The text report. `top` files per layer (0 = all).
pub fn render(x: &ImageLayers, top: usize, st: &Style) -> String {
    let fs_layers = x.layers.iter().filter(|l| !l.empty).count();
    let short_id =
        x.id.strip_prefix("sha256:")
            .unwrap_or(&x.id)
            .chars()
            .take(12)
            .collect::<String>();
    let mut out = format!(
        "{}  {}  {} in {} layer{} ({} steps)\n\n",
        st.bold(&x.image),
        st.dim(&short_id),
        human_size(x.size),
        fs_layers,
        if fs_layers == 1 { "" } else { "s" },
        x.layers.len()
    );
    out.push_str(&st.dim("step      size  instruction\n"));
    for l in &x.layers {
        let size = if l.empty {
            "-".to_string()
        } else {
            human_size(l.size)
        };
        let instr = clip(&l.instruction, 96);
        if l.empty {
            out.push_str(&st.dim(&format!(
                "{:>4}  {size:>8}  {instr}  (metadata only)\n",
                l.step
            )));
            continue;
        }
        out.push_str(&format!("{:>4}  {size:>8}  {}\n", l.step, st.bold(&instr)));
        if let Some(why) = &l.unreadable {
            out.push_str(&format!(
                "                  {}\n",
                st.yellow(&format!("files not listed: {why}"))
            ));
        }
        let shown = if top == 0 {
            l.files.len()
        } else {
            top.min(l.files.len())
        };
        for f in &l.files[..shown] {
            let how = if f.replaced_later {
                "replaced"
            } else {
                "deleted"
            };
            let note = match f.hidden_by {
                Some(s) => st.yellow(&format!("  {how} in step {s}, still ships here")),
                None if f.replaces => st.dim("  replaces an earlier copy"),
                None => String::new(),
            };
            out.push_str(&format!(
                "          {:>8}  {}{note}\n",
                human_size(f.size),
                f.path
            ));
        }
        if l.files.len() > shown {
            let rest: u64 = l.files[shown..].iter().map(|f| f.size).sum();
            out.push_str(&st.dim(&format!(
                "                    … {} more file(s), {}\n",
                l.files.len() - shown,
                human_size(rest)
            )));
        }
        for r in &l.removed {
            let what = if r.opaque { "empties" } else { "deletes" };
            let hides = if r.hides_bytes > 0 {
                st.yellow(&format!(
                    " ({} of earlier layers still ship)",
                    human_size(r.hides_bytes)
                ))
            } else {
                String::new()
            };
            out.push_str(&format!("                  {what} {}{hides}\n", r.path));
        }
    }
    if x.hidden.is_empty() {
        out.push_str("\nNothing is deleted or replaced by a later layer: every shipped byte is in the final filesystem.\n");
    } else {
        out.push_str(&format!(
            "\n{}\n",
            st.bold(&format!(
                "Deleted or replaced later, but still shipped: {} in {} file(s)",
                human_size(x.hidden_bytes),
                x.hidden.len()
            ))
        ));
        let shown = if top == 0 {
            x.hidden.len()
        } else {
            top.min(x.hidden.len())
        };
        for h in &x.hidden[..shown] {
            let how = if h.replaced { "replaced" } else { "deleted" };
            out.push_str(&format!(
                "  {:>8}  {}  added in step {}, {how} in step {}\n",
                human_size(h.size),
                h.path,
                h.shipped_in,
                h.hidden_by
            ));
        }
        out.push_str(&st.dim("A later RUN rm cannot shrink an image: delete in the same RUN that creates the file, or build in a stage that is not shipped.\n"));
    }
    out
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}
