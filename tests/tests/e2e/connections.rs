//! Connections that misbehave, spoken over bare sockets: headers or a body that stop arriving,
//! more connections than the server serves at once, and a stop with requests in flight. None
//! may hold the server for longer than its settings say.

use std::time::Duration;

use gongzhi_tests::{TestApp, e2e};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// Clients get one second for headers and bodies.
e2e!(
    configured: |config| {
        config.server.header_timeout_secs = 1;
        config.server.body_timeout_secs = 1;
    };
    headers_that_stop_arriving_close_the_connection,
    a_body_that_stops_arriving_is_a_408,
    an_idle_connection_is_closed,
);

// Two connections at a time.
e2e!(
    configured: |config| config.server.max_client_connections = 2;
    connections_beyond_the_limit_wait_their_turn,
);

e2e!(stopping_finishes_the_requests_in_flight_and_exits,);

/// How long any one step may take before the test calls the server stuck.
const STUCK: Duration = Duration::from_secs(20);

async fn connect(address: &str) -> TcpStream {
    TcpStream::connect(address.trim_start_matches("http://"))
        .await
        .expect("the server accepts")
}

/// Reads until the server closes the connection, and returns what it sent.
async fn read_to_close(socket: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    tokio::time::timeout(STUCK, socket.read_to_end(&mut answer))
        .await
        .expect("the server closes the connection")
        .expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

const HEALTH: &[u8] = b"GET /health HTTP/1.1\r\nhost: gongzhi\r\n\r\n";

async fn headers_that_stop_arriving_close_the_connection(app: TestApp) {
    let mut socket = connect(&app.address).await;
    socket
        .write_all(b"POST /graphql HTTP/1.1\r\nhost: gongzhi\r\ncontent-type: app")
        .await
        .expect("sent");
    // Closed after the header timeout, with nothing answered.
    assert_eq!(read_to_close(&mut socket).await, "");
}

async fn a_body_that_stops_arriving_is_a_408(app: TestApp) {
    let mut socket = connect(&app.address).await;
    socket
        .write_all(
            b"POST /graphql HTTP/1.1\r\nhost: gongzhi\r\ncontent-type: application/json\r\n\
              accept: application/json\r\ncontent-length: 100\r\n\r\n{\"query\": ",
        )
        .await
        .expect("sent");
    let answer = read_to_close(&mut socket).await;
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(answer.contains(r#""code":"BAD_USER_INPUT""#), "{answer}");
}

async fn an_idle_connection_is_closed(app: TestApp) {
    let mut socket = connect(&app.address).await;
    socket.write_all(HEALTH).await.expect("sent");
    // The answer, then the connection closed once it has been idle for the timeout.
    let answer = read_to_close(&mut socket).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
}

async fn connections_beyond_the_limit_wait_their_turn(app: TestApp) {
    let first = connect(&app.address).await;
    let _second = connect(&app.address).await;
    let mut third = connect(&app.address).await;
    third.write_all(HEALTH).await.expect("sent");
    let mut answer = [0_u8; 12];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), third.read(&mut answer))
            .await
            .is_err(),
        "a third connection is not served while two are open"
    );
    drop(first);
    tokio::time::timeout(STUCK, third.read_exact(&mut answer))
        .await
        .expect("served once a connection closed")
        .expect("read");
    assert_eq!(&answer, b"HTTP/1.1 200");
}

/// Asked to stop, the server takes no new connection, answers the request that was arriving,
/// and exits by the end of its grace period although a client keeps a connection open.
async fn stopping_finishes_the_requests_in_flight_and_exits(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let address = listener.local_addr().expect("an address").to_string();
    let mut settings = app.config.server.clone();
    settings.shutdown_grace_secs = 2;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(gongzhi::http::serve(
        listener,
        gongzhi::app(app.state.clone()),
        settings,
        async {
            let _ = stopped.await;
        },
    ));
    let body = br#"{"query": "{ __typename }"}"#;
    let mut in_flight = connect(&address).await;
    in_flight
        .write_all(
            format!(
                "POST /graphql HTTP/1.1\r\nhost: gongzhi\r\ncontent-type: application/json\r\n\
                 accept: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        )
        .await
        .expect("sent");
    in_flight.write_all(&body[..5]).await.expect("sent");
    // A client that never finishes its headers.
    let mut lingering = connect(&address).await;
    lingering
        .write_all(b"GET /health HTTP/1.1\r\n")
        .await
        .expect("sent");
    tokio::time::sleep(Duration::from_millis(200)).await;

    stop.send(()).expect("the server runs");
    in_flight.write_all(&body[5..]).await.expect("sent");
    let answer = read_to_close(&mut in_flight).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(
        answer.contains(r#"{"data":{"__typename":"Query"},"#),
        "{answer}"
    );
    tokio::time::timeout(STUCK, server)
        .await
        .expect("the server exits within its grace period")
        .expect("the server task");
    assert!(
        TcpStream::connect(&address).await.is_err(),
        "no new connection is taken"
    );
}
