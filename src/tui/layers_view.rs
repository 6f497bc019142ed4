//! The layer explorer's state inside the app: pick a local image, wait while its archive is
//! read, then move between layers and scroll a layer's files.

use crate::layers::ImageLayers;

/// A local image the picker offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRow {
    pub reference: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub enum LayersView {
    Picking {
        /// None while the list is loading.
        images: Option<Result<Vec<ImageRow>, String>>,
        selected: usize,
        /// Select this reference when the list arrives (the current exercise's image).
        prefer: Option<String>,
    },
    Loading {
        image: String,
    },
    Loaded {
        data: Box<ImageLayers>,
        selected: usize,
        scroll: u16,
    },
    Failed {
        image: String,
        error: String,
    },
}

impl LayersView {
    pub fn picker(prefer: Option<String>) -> Self {
        LayersView::Picking {
            images: None,
            selected: 0,
            prefer,
        }
    }

    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            LayersView::Loading { .. } | LayersView::Picking { images: None, .. }
        )
    }

    /// The image list arrived.
    pub fn set_images(&mut self, list: Result<Vec<ImageRow>, String>) {
        if let LayersView::Picking {
            images,
            selected,
            prefer,
        } = self
        {
            if let (Ok(rows), Some(p)) = (&list, prefer.as_ref()) {
                *selected = rows.iter().position(|r| &r.reference == p).unwrap_or(0);
            }
            *images = Some(list);
        }
    }

    /// Enter in the picker: the image to load, if one is selected.
    pub fn pick(&mut self) -> Option<String> {
        let LayersView::Picking {
            images: Some(Ok(rows)),
            selected,
            ..
        } = self
        else {
            return None;
        };
        let image = rows.get(*selected)?.reference.clone();
        *self = LayersView::Loading {
            image: image.clone(),
        };
        Some(image)
    }

    /// The explorer's data (or its error) arrived.
    pub fn loaded(&mut self, image: &str, result: Result<Box<ImageLayers>, String>) {
        if !matches!(self, LayersView::Loading { image: i } if i == image) {
            return;
        }
        *self = match result {
            Ok(data) => {
                // Start on the biggest layer: that is where the bloat is.
                let selected = data
                    .layers
                    .iter()
                    .enumerate()
                    .max_by_key(|(i, l)| (l.size, usize::MAX - i))
                    .map_or(0, |(i, _)| i);
                LayersView::Loaded {
                    data,
                    selected,
                    scroll: 0,
                }
            }
            Err(error) => LayersView::Failed {
                image: image.to_string(),
                error,
            },
        };
    }

    /// ↑/↓: the image in the picker, or the layer in the explorer.
    pub fn move_by(&mut self, delta: isize) {
        match self {
            LayersView::Picking {
                images: Some(Ok(rows)),
                selected,
                ..
            } => *selected = step(*selected, delta, rows.len()),
            LayersView::Loaded {
                data,
                selected,
                scroll,
            } => {
                *selected = step(*selected, delta, data.layers.len());
                *scroll = 0;
            }
            _ => {}
        }
    }

    /// PgUp/PgDn: the selected layer's file list.
    pub fn scroll_by(&mut self, delta: i32) {
        if let LayersView::Loaded {
            data,
            selected,
            scroll,
        } = self
        {
            let max = data
                .layers
                .get(*selected)
                .map_or(0, |l| l.files.len() + l.removed.len()) as i32;
            *scroll = (*scroll as i32 + delta).clamp(0, max.max(0)) as u16;
        }
    }
}

fn step(cur: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    (cur as isize + delta).clamp(0, len as isize - 1) as usize
}
