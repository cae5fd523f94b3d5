//! Trusted documents and automatic persisted queries over HTTP: an organisation's admins
//! register documents for its client, a client that runs trusted documents only runs those and
//! nothing else, the cap holds against concurrent registrations, and any other caller may send
//! a document by its hash once the server has seen it (Apollo's handshake).

use entities::organization::OrganizationKind;
use entities::trusted_document;
use futures::future::join_all;
use gongzhi::domain::transaction::Db;
use gongzhi::domain::trusted_documents;
use gongzhi_tests::clients::{issued_token, new_app_client, new_client};
use gongzhi_tests::demo::{organization_of, partner_organization};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

e2e!(
    a_trusted_documents_only_client_runs_its_documents_and_nothing_else,
    only_the_organisation_s_admins_register_and_each_document_is_checked,
    the_cap_on_a_client_s_documents_holds_against_concurrent_registrations,
    automatic_persisted_queries_follow_apollo_s_handshake,
    apollo_client_s_persisted_query_link_works,
);

const OPEN_WISHES: &str = "query OpenWishes($first: Int!) { microWishes(filter: {status: [OPEN]}, first: $first) { nodes { id title } } }";
const REGISTER: &str = "mutation($input: RegisterTrustedDocumentsInput!) {
    registerTrustedDocuments(input: $input) {
        documents { documentId body registeredAt }
        userErrors { field message code }
    } }";
const REMOVE: &str = "mutation($input: RemoveTrustedDocumentsInput!) {
    removeTrustedDocuments(input: $input) {
        documents { documentId }
        userErrors { field message code }
    } }";

/// `sha256:` and the hex digits of the SHA-256 of `text`, computed here as a partner would.
fn document_id(text: &str) -> String {
    format!("sha256:{}", hash(text))
}

fn hash(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// A GET of `/graphql` with `parameters`: the status and the JSON answer.
async fn get(app: &TestApp, token: Option<&str>, parameters: &[(&str, String)]) -> (u16, Value) {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .query(parameters);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("an error with a code: {body}"))
}

async fn admin_token(app: &TestApp) -> String {
    let organization = partner_organization(app).await;
    app.org_admin_token(Role::OrgAdmin, organization.id)
}

async fn a_trusted_documents_only_client_runs_its_documents_and_nothing_else(app: TestApp) {
    let credentials = new_app_client(&app, "wishes:read").await;
    let token = issued_token(&app, &credentials).await;
    let admin = admin_token(&app).await;
    let id = document_id(OPEN_WISHES);

    // Before it is registered, the app can run nothing: not its text, not its id.
    let (status, body) = app
        .post_body(
            Some(&token),
            json!({ "query": OPEN_WISHES, "variables": {"first": 2} }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "PERSISTED_QUERY_NOT_ALLOWED"),
        "{body}"
    );
    assert!(body.get("data").is_none(), "{body}");
    let (_, body) = app
        .post_body(
            Some(&token),
            json!({ "documentId": id, "variables": {"first": 2} }),
        )
        .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_ALLOWED", "{body}");

    let input = json!({ "clientId": credentials.client_id, "documents": [OPEN_WISHES] });
    let registered = app
        .query_as(Some(&admin), REGISTER, json!({ "input": input }))
        .await;
    let payload = &registered["registerTrustedDocuments"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    assert_eq!(payload["documents"][0]["documentId"], json!(id));
    assert_eq!(payload["documents"][0]["body"], json!(OPEN_WISHES));

    // By id, in either form, by POST or GET, the document runs with the app's variables.
    let by_id = app
        .post_body(
            Some(&token),
            json!({ "documentId": id, "variables": {"first": 2} }),
        )
        .await;
    let apollo = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash(OPEN_WISHES) } });
    let by_hash = app
        .post_body(
            Some(&token),
            json!({ "extensions": apollo, "variables": {"first": 2} }),
        )
        .await;
    let by_get = get(
        &app,
        Some(&token),
        &[
            ("documentId", id.clone()),
            ("variables", r#"{"first": 2}"#.to_owned()),
        ],
    )
    .await;
    for (status, body) in [&by_id, &by_hash, &by_get] {
        assert_eq!(*status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
        assert_eq!(
            body["data"]["microWishes"]["nodes"]
                .as_array()
                .map(Vec::len),
            Some(2),
            "{body}"
        );
    }
    // The text with its id is the registered document; any other text is refused, even
    // with a registered id beside it.
    let (status, body) = app
        .post_body(
            Some(&token),
            json!({ "query": OPEN_WISHES, "documentId": id, "variables": {"first": 1} }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let other = "{ microWishes(first: 100) { nodes { id title description } } }";
    let (_, body) = app.post_body(Some(&token), json!({ "query": other })).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_ALLOWED", "{body}");
    let (_, body) = app
        .post_body(Some(&token), json!({ "query": other, "documentId": id }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

    // Another client of the same organisation has documents of its own.
    let sibling = new_app_client(&app, "wishes:read").await;
    let sibling_token = issued_token(&app, &sibling).await;
    let (_, body) = app
        .post_body(
            Some(&sibling_token),
            json!({ "documentId": id, "variables": {"first": 2} }),
        )
        .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_ALLOWED", "{body}");

    // Removed, it no longer runs, from the next request on.
    let input = json!({ "clientId": credentials.client_id, "documentIds": [id] });
    let removed = app
        .query_as(Some(&admin), REMOVE, json!({ "input": input }))
        .await;
    assert_eq!(
        removed["removeTrustedDocuments"]["documents"][0]["documentId"],
        json!(id)
    );
    let (_, body) = app
        .post_body(
            Some(&token),
            json!({ "documentId": id, "variables": {"first": 2} }),
        )
        .await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_ALLOWED", "{body}");
    // An empty list, or one that is not an id, is about `documentIds`.
    for (ids, code) in [
        (json!([]), "WRONG_NUMBER_OF_DOCUMENTS"),
        (json!(["nonsense"]), "DOCUMENT_NOT_FOUND"),
    ] {
        let input = json!({ "clientId": credentials.client_id, "documentIds": ids });
        let removed = app
            .query_as(Some(&admin), REMOVE, json!({ "input": input }))
            .await;
        let error = &removed["removeTrustedDocuments"]["userErrors"][0];
        assert_eq!(
            (&error["code"], &error["field"]),
            (&json!(code), &json!(["input", "documentIds"])),
            "{removed}"
        );
    }
    // Removing it again removes nothing.
    let removed = app
        .query_as(Some(&admin), REMOVE, json!({ "input": input }))
        .await;
    let payload = &removed["removeTrustedDocuments"];
    assert_eq!(payload["documents"], Value::Null, "{payload}");
    assert_eq!(
        payload["userErrors"][0]["code"], "DOCUMENT_NOT_FOUND",
        "{payload}"
    );
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "documentIds"])
    );
}

async fn only_the_organisation_s_admins_register_and_each_document_is_checked(app: TestApp) {
    let credentials = new_client(&app, "wishes:read").await;
    let admin = admin_token(&app).await;
    let register = async |token: &str, documents: Value| {
        let input = json!({ "clientId": credentials.client_id, "documents": documents });
        let data = app
            .query_as(Some(token), REGISTER, json!({ "input": input }))
            .await;
        data["registerTrustedDocuments"].clone()
    };
    let stored = async || {
        trusted_document::Entity::find()
            .count(app.db())
            .await
            .expect("count the documents")
    };

    // An invalid document is named by its place, and nothing is registered.
    let invalid = [OPEN_WISHES, "{ microWishes { nodes { noSuchField } } }"];
    let payload = register(&admin, json!(invalid)).await;
    assert_eq!(
        payload["userErrors"][0]["code"], "INVALID_DOCUMENT",
        "{payload}"
    );
    assert_eq!(
        payload["userErrors"][0]["field"],
        json!(["input", "documents", "1"])
    );
    let unparsable = register(&admin, json!(["{ microWishes {"])).await;
    assert_eq!(
        unparsable["userErrors"][0]["code"], "INVALID_DOCUMENT",
        "{unparsable}"
    );
    // PostgreSQL cannot store a NUL, though GraphQL allows one in a comment.
    let nul = register(&admin, json!(["{ __typename } #\u{0}"])).await;
    assert_eq!(nul["userErrors"][0]["code"], "INVALID_DOCUMENT", "{nul}");
    let none = register(&admin, json!([])).await;
    assert_eq!(
        none["userErrors"][0]["code"], "WRONG_NUMBER_OF_DOCUMENTS",
        "{none}"
    );
    assert_eq!(stored().await, 0);

    // Neither another organisation's admin, nor the client itself, nor district staff.
    let business = organization_of(&app, OrganizationKind::Business).await;
    let stranger = app.org_admin_token(Role::OrgAdmin, business.id);
    let client_itself = issued_token(&app, &credentials).await;
    let district = app
        .staff_token(Role::DistrictStaff, gongzhi_tests::demo::DISTRICT)
        .await;
    for token in [&stranger, &client_itself, &district] {
        let payload = register(token, json!([OPEN_WISHES])).await;
        assert_eq!(
            payload["userErrors"][0]["code"], "CLIENT_NOT_FOUND",
            "{payload}"
        );
        assert_eq!(
            payload["userErrors"][0]["field"],
            json!(["input", "clientId"])
        );
    }
    assert_eq!(stored().await, 0);

    // Registering twice, or the same document twice at once, registers it once; a document of
    // several operations is one document.
    let several = "query A { __typename } query B { microWishes(first: 1) { totalCount } }";
    let first = register(&admin, json!([OPEN_WISHES, OPEN_WISHES, several])).await;
    assert_eq!(
        first["documents"].as_array().map(Vec::len),
        Some(2),
        "{first}"
    );
    let again = register(&admin, json!([OPEN_WISHES])).await;
    let listed = first["documents"].as_array().expect("the documents");
    let original = listed
        .iter()
        .find(|document| document["documentId"] == json!(document_id(OPEN_WISHES)));
    assert_eq!(Some(&again["documents"][0]), original, "{again}");
    assert_eq!(stored().await, 2);

    // A client that may run any document still runs its registered ones by id.
    let token = issued_token(&app, &credentials).await;
    let (status, body) = app
        .post_body(
            Some(&token),
            json!({ "documentId": document_id(several), "operationName": "B" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["microWishes"]["totalCount"].is_number(),
        "{body}"
    );
}

async fn the_cap_on_a_client_s_documents_holds_against_concurrent_registrations(app: TestApp) {
    let credentials = new_app_client(&app, "wishes:read").await;
    let admin = admin_token(&app).await;
    let numbered = |n: usize| format!("query Q{n} {{ __typename }}");
    // 975 registered by the operator (as `gongzhi documents push` does), 25 places left.
    let db = Db::Pool(app.db().clone());
    let held: Vec<String> = (0..975).map(numbered).collect();
    for chunk in held.chunks(trusted_documents::MAX_PER_CALL) {
        let outcome = trusted_documents::register_as_operator(&db, &credentials.client_id, chunk)
            .await
            .expect("registered");
        assert!(outcome.is_done(), "{:?}", outcome.refusals);
    }
    // Eight admins' calls of 10 new documents each race for them: two fit.
    let calls = (0..8).map(|call| {
        let documents: Vec<String> = (0..10).map(|n| numbered(1_000 + call * 10 + n)).collect();
        let input = json!({ "clientId": credentials.client_id, "documents": documents });
        let admin = admin.clone();
        let app = &app;
        async move {
            let data = app
                .query_as(Some(&admin), REGISTER, json!({ "input": input }))
                .await;
            data["registerTrustedDocuments"]["userErrors"].clone()
        }
    });
    let outcomes = join_all(calls).await;
    let refused: Vec<&Value> = outcomes
        .iter()
        .filter(|errors| errors[0]["code"] == "TOO_MANY_DOCUMENTS")
        .collect();
    assert_eq!(refused.len(), 6, "{outcomes:?}");
    let count = trusted_document::Entity::find()
        .count(app.db())
        .await
        .expect("count the documents");
    assert_eq!(count, 995);
}

async fn automatic_persisted_queries_follow_apollo_s_handshake(app: TestApp) {
    // A document this test's own server has not seen yet.
    let query = "query Handshake { microWishes(first: 3) { nodes { id } } }";
    let apollo = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash(query) } });

    // 1. The hash alone: not found, in Apollo's words, and nothing charged.
    let (status, body) = app.post_body(None, json!({ "extensions": apollo })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["message"], "PersistedQueryNotFound",
        "{body}"
    );
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["extensions"]["cost"]["actualQueryCost"], 0, "{body}");
    // 2. The text with the hash: it runs, and the server remembers it.
    let (status, body) = app
        .post_body(None, json!({ "query": query, "extensions": apollo }))
        .await;
    assert_eq!(status, 200, "{body}");
    let nodes = body["data"]["microWishes"]["nodes"].clone();
    assert_eq!(nodes.as_array().map(Vec::len), Some(3), "{body}");
    // 3. From then on the hash alone runs it, by POST or by GET, for anyone.
    let (status, body) = app.post_body(None, json!({ "extensions": apollo })).await;
    assert_eq!(
        (status, &body["data"]["microWishes"]["nodes"]),
        (200, &nodes),
        "{body}"
    );
    let (status, body) = get(&app, None, &[("extensions", apollo.to_string())]).await;
    assert_eq!(
        (status, &body["data"]["microWishes"]["nodes"]),
        (200, &nodes),
        "{body}"
    );
    let person = app.person_token(gongzhi_tests::demo::new_person(&app).await);
    let (status, _) = app
        .post_body(Some(&person), json!({ "documentId": document_id(query) }))
        .await;
    assert_eq!(status, 200);

    // A hash that is not the text's is refused, and so is a malformed one or another version.
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash("{ __typename }") } });
    let (_, body) = app
        .post_body(None, json!({ "query": query, "extensions": wrong }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    for extensions in [
        json!({ "persistedQuery": { "version": 1, "sha256Hash": "abc" } }),
        json!({ "persistedQuery": { "version": 2, "sha256Hash": hash(query) } }),
    ] {
        let (status, body) = app
            .post_body(None, json!({ "extensions": extensions }))
            .await;
        assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"), "{body}");
    }
    // An id is written one way only: lowercase hex digits.
    for id in [
        "sha256:xyz".to_owned(),
        document_id(query).to_uppercase(),
        format!("sha256:+{}", &hash(query)[1..]),
    ] {
        let (status, body) = app.post_body(None, json!({ "documentId": id })).await;
        assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"), "{body}");
    }
    // A parameter given twice is a request error with a code too.
    let twice = [
        ("documentId", document_id(query)),
        ("documentId", document_id(query)),
    ];
    let (status, body) = get(&app, None, &twice).await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"), "{body}");

    // A mutation known by its hash still goes by POST only.
    let mutation = "mutation Nothing($input: RemoveTrustedDocumentsInput!) { removeTrustedDocuments(input: $input) { documents { documentId } } }";
    let known = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash(mutation) } });
    let variables = json!({ "input": { "clientId": "gz_none", "documentIds": [] } });
    let (status, _) = app
        .post_body(
            None,
            json!({ "query": mutation, "extensions": known, "variables": variables }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = get(
        &app,
        None,
        &[
            ("extensions", known.to_string()),
            ("variables", variables.to_string()),
        ],
    )
    .await;
    assert_eq!(status, 405);
}

/// Apollo Client's own persisted-query link: its handshake with any caller (the hash, then the
/// text once, then the hash alone), and an app client that runs trusted documents only, whose
/// registered document runs by its hash at the first request.
async fn apollo_client_s_persisted_query_link_works(app: TestApp) {
    let dir = gongzhi_tests::install_node_packages("apollo", "@apollo/client");
    let url = format!("{}/graphql", app.address);
    let run = |token: Option<String>| {
        let (dir, url) = (dir.clone(), url.clone());
        async move {
            let output = tokio::task::spawn_blocking(move || {
                let mut command = std::process::Command::new("node");
                command
                    .arg("persisted-queries.mjs")
                    .arg(url)
                    .current_dir(dir);
                if let Some(token) = token {
                    command.arg(token);
                }
                command.output()
            })
            .await
            .expect("the client runs")
            .expect("node is installed");
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            serde_json::from_slice::<Value>(&output.stdout).expect("one JSON line")
        }
    };
    let nodes =
        |result: &Value, run: usize| result["answers"][run]["data"]["microWishes"]["nodes"].clone();

    // Anonymous: not found, the text with its hash, then the hash alone.
    let anonymous = run(None).await;
    let sent = anonymous["sent"].as_array().expect("the requests");
    let carried: Vec<(bool, bool)> = sent
        .iter()
        .map(|request| (request["query"].is_string(), request["hash"].is_string()))
        .collect();
    assert_eq!(
        carried,
        [(false, true), (true, true), (false, true)],
        "{anonymous}"
    );
    assert_eq!(
        nodes(&anonymous, 0).as_array().map(Vec::len),
        Some(2),
        "{anonymous}"
    );
    assert_eq!(nodes(&anonymous, 0), nodes(&anonymous, 1));

    // An app client: what Apollo sends (its printed document) is registered, and runs at once.
    let text = sent[1]["query"].as_str().expect("the text Apollo sends");
    let credentials = new_app_client(&app, "wishes:read").await;
    let token = issued_token(&app, &credentials).await;
    let before = run(Some(token.clone())).await;
    assert_eq!(
        before["answers"][0]["codes"],
        json!(["PERSISTED_QUERY_NOT_ALLOWED"]),
        "{before}"
    );
    let input = json!({ "clientId": credentials.client_id, "documents": [text] });
    let admin = admin_token(&app).await;
    let registered = app
        .query_as(Some(&admin), REGISTER, json!({ "input": input }))
        .await;
    assert_eq!(
        registered["registerTrustedDocuments"]["userErrors"],
        json!([])
    );
    let trusted = run(Some(token)).await;
    assert_eq!(nodes(&trusted, 0), nodes(&anonymous, 0), "{trusted}");
    let carried: Vec<bool> = trusted["sent"]
        .as_array()
        .expect("the requests")
        .iter()
        .map(|request| request["query"].is_string())
        .collect();
    assert_eq!(
        carried,
        [false, false],
        "the hash alone, each time: {trusted}"
    );
}
