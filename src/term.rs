//! What the two terminal apps share, the course app (`tui`) and the instructor's dashboard
//! (`workshop::dash`): the input thread (`input`), colours and emphasis with `NO_COLOR`
//! (`theme`), a centred popup (`popup`) and the signals that end a session (`signals`).

pub mod input;
pub mod popup;
pub mod signals;
pub mod theme;
