//! `schema.graphql` is the public contract: it must be exactly what the server serves.

#[test]
fn schema_file_matches_the_served_schema() {
    let config = gongzhi::Config::new("sqlite::memory:", std::env::temp_dir());
    let served = gongzhi::graphql::sdl(&gongzhi::build_schema(&config));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema.graphql");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        served == committed,
        "schema.graphql is out of date: run `cargo run -q -- schema > schema.graphql` and review the diff"
    );
}

#[test]
fn every_type_field_and_value_is_described() {
    let config = gongzhi::Config::new("sqlite::memory:", std::env::temp_dir());
    let sdl = gongzhi::graphql::sdl(&gongzhi::build_schema(&config));
    assert_eq!(
        undescribed(&sdl),
        Vec::<String>::new(),
        "every type, field, argument and enum value needs a description"
    );
}

/// The declarations in `sdl` that no description precedes.
fn undescribed(sdl: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let mut described = false;
    let mut in_description = false;
    let mut in_schema_block = false;
    for line in sdl.lines().map(str::trim).filter(|line| !line.is_empty()) {
        if line.starts_with("\"\"\"") {
            let closes_on_same_line = line.len() > 3 && line.ends_with("\"\"\"");
            if !closes_on_same_line {
                in_description = !in_description;
            }
            described = !in_description;
            continue;
        }
        if in_description {
            continue;
        }
        if line.starts_with("schema") || line.starts_with("directive") {
            in_schema_block = line.ends_with('{');
            continue;
        }
        if in_schema_block {
            in_schema_block = line != "}";
            continue;
        }
        // `}` closes a type; `): Type` closes the argument list of a field described above it.
        if line != "}" && !line.starts_with(')') && !described {
            missing.push(line.to_owned());
        }
        described = false;
    }
    missing
}
