//! A corpus of malformed requests thrown at every root field and every mutation, as a careless
//! or hostile client would send them: wrong types, nulls, huge numbers, unknown enum values,
//! broken cursors and ids, oversized lists and strings, odd Unicode, and broken bodies. None may
//! be answered with a 5xx or an `INTERNAL` error: each is the client's mistake and says so.

use futures::stream::{self, StreamExt};
use gongzhi_tests::{Role, TestApp, demo, e2e};
use serde_json::{Map, Value, json};

e2e!(
    no_malformed_argument_is_answered_internal,
    no_malformed_body_is_answered_internal,
    an_oversized_body_is_refused_before_it_is_sent,
);

const SCHEMA: &str = r#"{
    __schema {
        queryType { name }
        mutationType { name }
        types {
            kind name
            fields { name args { name type { ...Ref } } type { ...Ref } }
            inputFields { name type { ...Ref } }
            enumValues { name }
        }
    }
}
fragment Ref on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// The schema as the corpus needs it.
struct Schema {
    types: Vec<Value>,
}

impl Schema {
    fn named(&self, name: &str) -> &Value {
        self.types
            .iter()
            .find(|ty| ty["name"] == name)
            .unwrap_or_else(|| panic!("the type {name}"))
    }

    /// A value of `ty` that is well formed (the values of the corpus are put beside these).
    fn plausible(&self, ty: &Value, depth: usize) -> Value {
        match ty["kind"].as_str() {
            Some("NON_NULL") => self.plausible(&ty["ofType"], depth),
            Some("LIST") => json!([self.plausible(&ty["ofType"], depth)]),
            Some("ENUM") => self.named(name(ty))["enumValues"][0]["name"].clone(),
            Some("INPUT_OBJECT") if depth < 4 => {
                let mut object = Map::new();
                for field in self.named(name(ty))["inputFields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if field["type"]["kind"] == "NON_NULL" {
                        let key = field["name"].as_str().expect("a name").to_owned();
                        object.insert(key, self.plausible(&field["type"], depth + 1));
                    }
                }
                Value::Object(object)
            }
            _ => match name(ty) {
                "Int" => json!(1),
                "Float" => json!(1.5),
                "Boolean" => json!(true),
                "ID" => json!(gongzhi::graphql::ids::global_id("AdminUnit", 1).to_string()),
                "DateTime" => json!("2027-01-01T00:00:00+08:00"),
                _ => json!("x"),
            },
        }
    }
}

/// The name of the named type inside `ty`'s wrappers.
fn name(ty: &Value) -> &str {
    match ty["name"].as_str() {
        Some(name) => name,
        None => name(&ty["ofType"]),
    }
}

/// `ty` written as in a variable definition: `[WishStatus!]!`.
fn written(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", written(&ty["ofType"])),
        Some("LIST") => format!("[{}]", written(&ty["ofType"])),
        _ => name(ty).to_owned(),
    }
}

/// The malformed values tried in the place of a value of `ty`.
fn malformed(ty: &Value, schema: &Schema) -> Vec<Value> {
    let long = "窗".repeat(20_000);
    let mut values = vec![
        Value::Null,
        json!(""),
        json!(2_147_483_648_i64),
        json!(-1),
        json!(1e308),
        json!("abc"),
        json!(12),
        json!("NOT_A_VALUE"),
        json!(long),
        json!("\u{0}\u{1f}\u{feff}\u{10ffff}"),
        json!({ "unknown": 1 }),
        json!([]),
        json!(vec![schema.plausible(ty, 0); 1_000]),
        // An id of another type, and a cursor that was never given out.
        json!(gongzhi::graphql::ids::global_id("Person", 1).to_string()),
        json!(gongzhi::graphql::ids::global_id("MicroWish", i64::MAX).to_string()),
        json!("eyJrIjoxLCJpIjoxfQ"),
    ];
    // Each field of an input object malformed in turn, the others well formed.
    if name(ty) != "ID" && schema.named(name(ty))["kind"] == "INPUT_OBJECT" {
        let base = schema.plausible(ty, 0);
        for field in schema.named(name(ty))["inputFields"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for bad in [
                Value::Null,
                json!("abc"),
                json!(2_147_483_648_i64),
                json!("窗".repeat(5_000)),
            ] {
                let mut object = base.clone();
                if let Some(object) = object.as_object_mut() {
                    object.insert(field["name"].as_str().expect("a name").to_owned(), bad);
                }
                values.push(object);
            }
        }
    }
    values
}

/// Posts `query` and fails on a 5xx or an `INTERNAL` error.
async fn answered_as_the_clients_mistake(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) {
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("accept", "application/graphql-response+json")
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the server answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(status < 500, "{status} for {query} {variables}: {body}");
    let internal = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|error| error["extensions"]["code"] == "INTERNAL");
    assert!(!internal, "INTERNAL for {query} with {variables}: {body}");
}

async fn no_malformed_argument_is_answered_internal(app: TestApp) {
    let schema = Schema {
        types: app.query(SCHEMA, json!({})).await["__schema"]["types"]
            .as_array()
            .expect("the types")
            .clone(),
    };
    // District staff reach furthest into every area.
    let token = app.staff_token(Role::DistrictStaff, demo::DISTRICT).await;
    let mut requests: Vec<(String, Value)> = Vec::new();
    for (operation, root) in [("query", "Query"), ("mutation", "Mutation")] {
        let fields = schema.named(root)["fields"]
            .as_array()
            .expect("the fields")
            .clone();
        for field in fields {
            let field_name = field["name"].as_str().expect("a name");
            let selection = match schema.named(name(&field["type"]))["kind"].as_str() {
                Some("OBJECT" | "INTERFACE" | "UNION") => "{ __typename }",
                _ => "",
            };
            let args = field["args"].as_array().expect("the arguments");
            for (index, arg) in args.iter().enumerate() {
                // The other arguments well formed, this one each malformed value in turn.
                let definitions: Vec<String> = args
                    .iter()
                    .enumerate()
                    .map(|(i, other)| {
                        let ty = if i == index {
                            // Declared nullable, so that a null reaches the server's checks.
                            written(&other["type"]).trim_end_matches('!').to_owned()
                        } else {
                            written(&other["type"])
                        };
                        format!("$a{i}: {ty}")
                    })
                    .collect();
                let uses: Vec<String> = args
                    .iter()
                    .enumerate()
                    .map(|(i, other)| format!("{}: $a{i}", other["name"].as_str().expect("a name")))
                    .collect();
                let query = format!(
                    "{operation}({}) {{ {field_name}({}) {selection} }}",
                    definitions.join(", "),
                    uses.join(", ")
                );
                for value in malformed(&arg["type"], &schema) {
                    let mut variables = Map::new();
                    for (i, other) in args.iter().enumerate() {
                        let value = if i == index {
                            value.clone()
                        } else {
                            schema.plausible(&other["type"], 0)
                        };
                        variables.insert(format!("a{i}"), value);
                    }
                    requests.push((query.clone(), Value::Object(variables)));
                }
            }
        }
    }
    assert!(requests.len() > 1_000, "{} requests", requests.len());
    // A few at a time, as several clients would send them.
    stream::iter(requests)
        .for_each_concurrent(8, |(query, variables)| {
            let (app, token) = (&app, &token);
            async move { answered_as_the_clients_mistake(app, token, &query, variables).await }
        })
        .await;
}

async fn no_malformed_body_is_answered_internal(app: TestApp) {
    let bodies: Vec<(&str, Vec<u8>)> = vec![
        (
            "application/json",
            b"{\"query\": \"{ __typename\n }\"}".to_vec(),
        ),
        ("application/json", b"{\"query\": \"\\ud800\"}".to_vec()),
        ("application/json", b"[]".to_vec()),
        ("application/json", b"{\"query\": 1}".to_vec()),
        (
            "application/json",
            b"{\"query\": \"{ __typename }\", \"variables\": []}".to_vec(),
        ),
        ("application/json", vec![0xff, 0xfe, 0x00]),
        ("application/json", Vec::new()),
        ("text/plain", b"{ __typename }".to_vec()),
        (
            "application/json",
            b"{\"query\": \"{ __typename \"}".to_vec(),
        ),
    ];
    for (content_type, body) in bodies {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", content_type)
            .header("accept", "application/graphql-response+json")
            .body(body.clone())
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        let text = response.text().await.expect("a body");
        assert!((400..500).contains(&status), "{status}: {text}");
        let answer: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("a JSON answer to a bad body, got {status} {text}"));
        let code = &answer["errors"][0]["extensions"]["code"];
        assert_eq!(code, "BAD_USER_INPUT", "{status}: {text}");
    }
    // A broken body says what is wrong and where.
    let (status, answer) = {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("content-type", "application/json")
            .body("{\"query\": \"{ __typename\n }\"}")
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json::<Value>().await.expect("JSON"))
    };
    assert_eq!(status, 400);
    let message = answer["errors"][0]["message"].as_str().expect("a message");
    assert!(
        message.contains(" line ") && message.contains(" column "),
        "{message}"
    );
}

/// A body declared larger than 2 MiB is refused with a 413 and a code before a byte of it is
/// read: a client that asks to continue first (`Expect: 100-continue`, as curl does for large
/// bodies) gets the refusal without sending it. Spoken over a bare socket, as the point is what
/// is (not) sent.
async fn an_oversized_body_is_refused_before_it_is_sent(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let address = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .expect("the server accepts");
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: {address}\r\ncontent-type: application/json\r\n\
         accept: application/graphql-response+json\r\ncontent-length: {}\r\n\
         expect: 100-continue\r\nconnection: close\r\n\r\n",
        3 * 1024 * 1024
    );
    socket.write_all(head.as_bytes()).await.expect("sent");
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        socket.read_to_end(&mut answer),
    )
    .await
    .expect("answered without the body")
    .expect("read");
    let answer = String::from_utf8(answer).expect("UTF-8");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
    assert!(head.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/graphql-response+json"),
        "{answer}"
    );
    let body: Value = serde_json::from_str(body).expect("a JSON body");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    assert_eq!(
        body["errors"][0]["message"],
        "the body is larger than 2097152 bytes"
    );
}
