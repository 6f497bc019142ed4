//! One raw connection to the daemon's API, over whatever the endpoint names. bollard keeps its own
//! connections for the API calls it makes; this is for what it does not offer: the headers of
//! `GET /_ping` and BuildKit's session, where dockdojo serves the build context and secrets.

use std::io;
use std::pin::Pin;

use tokio::io::{AsyncRead, AsyncWrite};

use super::connect::Endpoint;

/// A byte stream to the daemon.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A boxed connection, ready for HTTP/1.1.
pub type Conn = Pin<Box<dyn Stream>>;

/// Open a new connection to the endpoint's daemon.
pub async fn dial(endpoint: &Endpoint) -> io::Result<Conn> {
    let h = endpoint.host.as_str();
    if let Some(path) = h.strip_prefix("unix://") {
        return Ok(Box::pin(tokio::net::UnixStream::connect(path).await?));
    }
    if let Some(addr) = h
        .strip_prefix("tcp://")
        .or_else(|| h.strip_prefix("http://"))
    {
        let addr = addr.trim_end_matches('/');
        return Ok(Box::pin(tokio::net::TcpStream::connect(addr).await?));
    }
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        format!("cannot open a raw connection to '{h}'"),
    ))
}
