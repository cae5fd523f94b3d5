//! The server's logs: lines for people, coloured only on a terminal, or one JSON object a line
//! for a log collector, carrying the fields of the spans it happened in (`request.id` among
//! them), so that every line of a request can be found by its id.

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::LogFormat;

/// The log filter: `RUST_LOG`, or `info` with sqlx's own statements quieter.
fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"))
}

/// The subscriber that writes the server's logs to `writer`; colours only where `ansi`.
pub fn subscriber<W>(format: LogFormat, ansi: bool, writer: W) -> Box<dyn Subscriber + Send + Sync>
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(writer);
    match format {
        LogFormat::Text => Box::new(logs.with_ansi(ansi).finish()),
        LogFormat::Json => Box::new(
            logs.json()
                .with_current_span(true)
                .with_span_list(false)
                .flatten_event(true)
                .finish(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(format: LogFormat) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = subscriber(format, false, move || writer.clone());
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", request.id = "req-7");
            let _entered = span.enter();
            tracing::info!(wish.id = 3, "claimed");
        });
        let bytes = buffer
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        String::from_utf8(bytes).expect("UTF-8 logs")
    }

    #[test]
    fn a_json_line_carries_the_request_id_of_its_span() {
        let logs = logged(LogFormat::Json);
        let line: serde_json::Value =
            serde_json::from_str(logs.lines().next().expect("a line")).expect("a JSON line");
        assert_eq!(line["message"], "claimed");
        assert_eq!(line["wish.id"], 3);
        assert_eq!(line["span"]["request.id"], "req-7");
    }

    #[test]
    fn text_has_no_colour_codes_off_a_terminal() {
        let logs = logged(LogFormat::Text);
        assert!(logs.contains("claimed"), "{logs}");
        assert!(!logs.contains('\u{1b}'), "{logs:?}");
    }
}
