//! GraphiQL, the explorer a browser gets at `GET /graphql`, served whole from the binary: the
//! page, React and GraphiQL's scripts and styles (`api/assets/graphiql/`), so that it works on
//! a district intranet without the internet. Its docs pane reads the schema by introspection,
//! its history lives in the browser's local storage.

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::state::AppState;

/// The GraphiQL release the assets are; part of their paths, so that they can be cached for good.
const VERSION: &str = "4.1.2";

/// The assets: name, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "graphiql.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.js"),
    ),
    (
        "graphiql.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql.min.css"),
    ),
    (
        "react.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react.production.min.js"),
    ),
    (
        "react-dom.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom.production.min.js"),
    ),
];

/// `/graphiql/{version}/{file}`: the explorer's assets.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/graphiql/{version}/{file}", get(asset))
}

async fn asset(Path((version, file)): Path<(String, String)>) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, media_type, bytes)) if version == VERSION => (
            [
                (CONTENT_TYPE, *media_type),
                // The version is in the path: a new release is a new address.
                (CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The explorer's page, pointed at `/graphql`.
pub(super) fn page() -> Html<String> {
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
  <head>
    <meta charset="utf-8">
    <meta name="robots" content="noindex">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>共治 Gongzhi · GraphiQL</title>
    <style>
      body {{ height: 100%; margin: 0; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; }}
    </style>
    <link rel="stylesheet" href="/graphiql/{VERSION}/graphiql.min.css">
    <script src="/graphiql/{VERSION}/react.production.min.js"></script>
    <script src="/graphiql/{VERSION}/react-dom.production.min.js"></script>
    <script src="/graphiql/{VERSION}/graphiql.min.js"></script>
  </head>
  <body>
    <div id="graphiql">Loading…</div>
    <script>
      const fetcher = GraphiQL.createFetcher({{
        url: new URL('/graphql', window.location.origin).toString(),
      }});
      ReactDOM.createRoot(document.getElementById('graphiql')).render(
        React.createElement(GraphiQL, {{ fetcher, defaultEditorToolsVisibility: true }}),
      );
    </script>
  </body>
</html>
"#
    ))
}
