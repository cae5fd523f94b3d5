//! A few helpers so that each migration reads like the DDL it produces.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, string_len, string_len_null,
};

/// `CREATE TABLE name (id BIGINT PRIMARY KEY AUTOINCREMENT, ...)`.
pub fn table(name: &'static str) -> TableCreateStatement {
    Table::create().table(name).col(big_pk_auto("id")).take()
}

/// A required reference to another table's `id`.
pub fn reference(column: &'static str) -> ColumnDef {
    big_integer(column)
}

/// An optional reference to another table's `id`.
pub fn reference_null(column: &'static str) -> ColumnDef {
    big_integer_null(column)
}

/// A foreign key `table.column → target.id`, named after its place.
pub fn fk(
    table: &'static str,
    column: &'static str,
    target: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{table}_{column}"))
        .from(table, column)
        .to(target, "id")
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

/// A foreign key over several columns, e.g. `(grid_id, community_id) → admin_unit (id, parent_id)`
/// which makes the database refuse a grid that is not inside the stated community.
pub fn composite_fk(
    name: &str,
    table: &'static str,
    columns: [&'static str; 2],
    target: &'static str,
    target_columns: [&'static str; 2],
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, (columns[0], columns[1]))
        .to(target, (target_columns[0], target_columns[1]))
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

/// A short text column whose value must be one of `values` (the database keeps enums honest).
pub fn one_of(column: &'static str, values: &[&'static str]) -> ColumnDef {
    string_len(column, 32)
        .check(Expr::col(column).is_in(values.iter().copied()))
        .take()
}

/// Like [`one_of`], but the column may be NULL.
pub fn one_of_null(column: &'static str, values: &[&'static str]) -> ColumnDef {
    string_len_null(column, 32)
        .check(Expr::col(column).is_in(values.iter().copied()))
        .take()
}

/// A named table-level check, written as portable SQL.
pub fn check(name: &'static str, sql: &'static str) -> (&'static str, Expr) {
    (name, Expr::cust(sql))
}

/// A plain index over `columns`.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table);
    for column in columns {
        index.col(*column);
    }
    index.take()
}

/// A unique index over `columns`, restricted to rows matching `condition` when it is given: the
/// portable way to say "at most one open X per Y" on both SQLite and PostgreSQL.
pub fn unique(
    name: &'static str,
    table: &'static str,
    columns: &[&'static str],
    condition: Option<&'static str>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table).unique();
    for column in columns {
        index.col(*column);
    }
    if let Some(sql) = condition {
        index.and_where(Expr::cust(sql));
    }
    index.take()
}

/// Creates the tables and then their indexes, in order.
pub async fn create(
    manager: &SchemaManager<'_>,
    tables: Vec<TableCreateStatement>,
    indexes: Vec<IndexCreateStatement>,
) -> Result<(), DbErr> {
    for table in tables {
        manager.create_table(table).await?;
    }
    for index in indexes {
        manager.create_index(index).await?;
    }
    Ok(())
}

/// Drops the tables in reverse order of creation (their indexes go with them).
/// `self_references` names the tables whose rows reference each other, with that column.
pub async fn drop(
    manager: &SchemaManager<'_>,
    tables: &[&'static str],
    self_references: &[(&str, &str)],
) -> Result<(), DbErr> {
    for table in tables.iter().rev() {
        if let Some((_, column)) = self_references.iter().find(|(name, _)| name == table) {
            delete_leaves_first(manager, table, column).await?;
        }
        manager
            .drop_table(Table::drop().table(*table).to_owned())
            .await?;
    }
    Ok(())
}

/// Empties a table whose rows reference each other through `column`, leaves first: SQLite
/// checks each row of the implicit delete that `DROP TABLE` performs, so a row may not go
/// before the rows that point at it.
async fn delete_leaves_first(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
) -> Result<(), DbErr> {
    let leaves = format!(
        "DELETE FROM {table} WHERE id NOT IN (SELECT {column} FROM {table} WHERE {column} IS NOT NULL)"
    );
    while manager
        .get_connection()
        .execute_unprepared(&leaves)
        .await?
        .rows_affected()
        > 0
    {}
    Ok(())
}
