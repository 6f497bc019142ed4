//! The layer explorer screen: pick a local image; then its build steps (size, instruction) on
//! top and the selected layer's files, biggest first, below, with what a later layer deleted or
//! replaced but still ships.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{List, ListItem, ListState, Paragraph, Wrap};
use ratatui::Frame;

use crate::layers::{human_size, ImageLayers};
use crate::tui::app::App;
use crate::tui::layers_view::LayersView;

pub fn render(f: &mut Frame, area: Rect, app: &App, view: &LayersView) {
    let t = &app.theme;
    match view {
        LayersView::Picking {
            images, selected, ..
        } => {
            let block = super::panel(
                app,
                Span::styled(" Layer explorer · pick a local image ", t.bold()),
                true,
            );
            match images {
                None => f.render_widget(
                    Paragraph::new(format!("{} Listing local images…", app.spinner_char()))
                        .block(block),
                    area,
                ),
                Some(Err(e)) => f.render_widget(
                    Paragraph::new(format!("Could not list images: {e}"))
                        .wrap(Wrap { trim: false })
                        .block(block),
                    area,
                ),
                Some(Ok(rows)) if rows.is_empty() => f.render_widget(
                    Paragraph::new(
                        "No tagged local images. Build one (`docker build -t NAME .`) and press i.",
                    )
                    .block(block),
                    area,
                ),
                Some(Ok(rows)) => {
                    let items: Vec<ListItem> = rows
                        .iter()
                        .map(|r| {
                            ListItem::new(format!(" {:>8}  {}", human_size(r.size), r.reference))
                        })
                        .collect();
                    let mut state = ListState::default().with_selected(Some(*selected));
                    let list = List::new(items).block(block).highlight_style(t.selected());
                    f.render_stateful_widget(list, area, &mut state);
                }
            }
        }
        LayersView::Loading { image } => {
            let block = super::panel(app, Span::styled(" Layer explorer ", t.bold()), true);
            let text = format!(
                "{} Reading the layers of {image} (docker save; a large image takes a few seconds)…",
                app.spinner_char()
            );
            f.render_widget(
                Paragraph::new(text).wrap(Wrap { trim: false }).block(block),
                area,
            );
        }
        LayersView::Failed { image, error } => {
            let block = super::panel(
                app,
                Span::styled(format!(" Layer explorer · {image} "), t.bold()),
                true,
            );
            f.render_widget(
                Paragraph::new(error.clone())
                    .wrap(Wrap { trim: false })
                    .block(block),
                area,
            );
        }
        LayersView::Loaded {
            data,
            selected,
            scroll,
        } => loaded(f, area, app, data, *selected, *scroll),
    }
}

fn loaded(f: &mut Frame, area: Rect, app: &App, data: &ImageLayers, selected: usize, scroll: u16) {
    let t = &app.theme;
    let steps = data.layers.len() as u16;
    let top_h = (steps + 3).min(area.height * 2 / 5).max(5);
    let [top, bottom] =
        Layout::vertical([Constraint::Length(top_h), Constraint::Fill(1)]).areas(area);

    let fs_layers = data.layers.iter().filter(|l| !l.empty).count();
    let title = format!(
        " {} · {} in {fs_layers} layers ",
        data.image,
        human_size(data.size)
    );
    let mut block = super::panel(app, Span::styled(title, t.bold()), true);
    if data.hidden_bytes > 0 {
        block = block.title_bottom(
            Line::from(Span::styled(
                format!(
                    " {} deleted or replaced later, still shipped ",
                    human_size(data.hidden_bytes)
                ),
                t.warn(),
            ))
            .right_aligned(),
        );
    }
    let items: Vec<ListItem> = data
        .layers
        .iter()
        .map(|l| {
            let size = if l.empty {
                "-".to_string()
            } else {
                human_size(l.size)
            };
            let hides: u64 = l.removed.iter().map(|r| r.hides_bytes).sum();
            let mut spans = vec![
                Span::raw(format!("{:>3} {size:>8}  ", l.step)),
                Span::styled(
                    l.instruction.clone(),
                    if l.empty { t.dim() } else { t.bold() },
                ),
            ];
            if hides > 0 {
                spans.push(Span::styled(
                    format!("  (hides {})", human_size(hides)),
                    t.warn(),
                ));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(selected));
    f.render_stateful_widget(
        List::new(items).block(block).highlight_style(t.selected()),
        top,
        &mut state,
    );

    let Some(layer) = data.layers.get(selected) else {
        return;
    };
    let mut lines: Vec<Line> = Vec::new();
    if layer.empty {
        lines.push(Line::from(Span::styled(
            "Metadata only (ENV, CMD, LABEL…): this step adds no files and no bytes.",
            t.dim(),
        )));
    }
    if let Some(why) = &layer.unreadable {
        lines.push(Line::from(Span::styled(
            format!("Files not listed: {why}"),
            t.warn(),
        )));
    }
    for r in &layer.removed {
        let what = if r.opaque { "empties" } else { "deletes" };
        let mut spans = vec![
            Span::styled(format!("{:>8}  {what} ", "-"), t.dim()),
            Span::raw(r.path.clone()),
        ];
        if r.hides_bytes > 0 {
            spans.push(Span::styled(
                format!(
                    "  ({} of earlier layers still ship)",
                    human_size(r.hides_bytes)
                ),
                t.warn(),
            ));
        }
        lines.push(Line::from(spans));
    }
    for file in &layer.files {
        let mut spans = vec![
            Span::raw(format!("{:>8}  ", human_size(file.size))),
            Span::raw(file.path.clone()),
        ];
        if let Some(s) = file.hidden_by {
            let how = if file.replaced_later {
                "replaced"
            } else {
                "deleted"
            };
            spans.push(Span::styled(
                format!("  {how} in step {s}, still ships"),
                t.warn(),
            ));
        } else if file.replaces {
            spans.push(Span::styled("  replaces an earlier copy", t.dim()));
        }
        lines.push(Line::from(spans));
    }
    if lines.is_empty() {
        lines.push(Line::from(Span::styled(
            "This layer adds no files.",
            t.dim(),
        )));
    }
    let added: u64 = layer.files.iter().map(|f| f.size).sum();
    let title = format!(
        " Step {}: {} file(s), {} added, biggest first ",
        layer.step,
        layer.files.len(),
        human_size(added)
    );
    let block = super::panel(app, Span::styled(title, t.bold()), false);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(block),
        bottom,
    );
}
