//! The defaults check kinds' spec fields take when an exercise leaves them out.

pub(crate) fn default_image() -> String {
    "app".into()
}
pub(crate) fn default_context() -> String {
    ".".into()
}
pub(crate) fn default_dockerfile() -> String {
    "Dockerfile".into()
}
pub(crate) fn default_true() -> bool {
    true
}
pub(crate) fn default_path() -> String {
    "/".into()
}
pub(crate) fn default_status() -> u16 {
    200
}
pub(crate) fn default_within() -> f64 {
    10.0
}
pub(crate) fn default_stop_codes() -> Vec<i64> {
    vec![0, 143]
}
