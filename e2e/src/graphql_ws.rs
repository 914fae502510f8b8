//! A graphql-transport-ws client for the apiserver's subscriptions, for the tests and the load bench.

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens `/api/graphql/ws` of the apiserver at `api_url` (`http://host:port`), signs in with `token` and
/// starts `query` as subscription "1"; the socket once the server acknowledged the sign-in.
pub async fn subscribe(api_url: &str, token: &str, query: &str, variables: Value) -> anyhow::Result<Socket> {
    let url = format!("{}/api/graphql/ws", api_url.replacen("http://", "ws://", 1));
    let mut request = url.into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket.send(Message::text(init.to_string())).await?;
    let ack = next_message(&mut socket, Duration::from_secs(60))
        .await
        .ok_or_else(|| anyhow::anyhow!("the socket closed before connection_ack"))?;
    anyhow::ensure!(ack["type"] == "connection_ack", "no connection_ack: {ack}");
    let start = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}});
    socket.send(Message::text(start.to_string())).await?;
    Ok(socket)
}

/// The next protocol message other than ping/pong (the library answers pings) within `wait`; `None` when
/// the socket closed, failed or stayed silent that long.
pub async fn next_message(socket: &mut Socket, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.ok()??.ok()?;
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(&text).ok()?;
                if value["type"] != "ping" && value["type"] != "pong" {
                    return Some(value);
                }
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}
