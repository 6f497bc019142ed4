//! Overlays: a box centred over the screen, with what was drawn underneath cleared.

use ratatui::layout::Rect;
use ratatui::widgets::Clear;
use ratatui::Frame;

/// A popup of at most `w`×`h` centred in `area`, cleared underneath.
pub fn popup(f: &mut Frame, area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    f.render_widget(Clear, r);
    r
}
