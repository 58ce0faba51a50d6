//! CSV downloads of the call log and the text log (`GET /api/v1/calls/export.csv`, `GET /api/v1/texts/export.csv`):
//! the rows of a search, with the same filters and the same visibility as its pages, streamed a batch at a time.
//!
//! Decisions:
//! - An export holds every page of the search, newest first, up to `EXPORT_ROW_CAP` (100,000) rows: the newest
//!   ones. The search's `total` says when a search has more; narrow it (a date range) to export the rest.
//! - The body is streamed: a batch of 1,000 rows is read by keyset (the same order as the pages) and written out
//!   before the next is read, so memory does not grow with the export. A database failure after the first batch can
//!   only cut the download short (the status line is sent): the body ends with an error, which browsers and HTTP
//!   clients report as a failed download rather than a short file.
//! - The CSV is written by the minimal RFC 4180 writer below (no `csv` crate is in the build's registry): fields with
//!   a comma, quote, CR or LF are quoted with quotes doubled, lines end with CRLF, UTF-8 without a byte order mark.
//! - Formula injection: a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so
//!   a spreadsheet shows it as text and runs nothing. That includes E.164 numbers (`'+14155550100`); the
//!   `caller_number` column has the number as the account writes it.
//! - Both logs export through `export_log`, each describing its rows with an `ExportedLog`: the search, the
//!   visibility and the `sync_status` column (only for those who may see the Salesforce panel) are the same for both.

use super::log::{LogParams, log_query, may_see_sync_status};
use crate::error::ApiResult;
use crate::model::{Session, User};
use crate::state::AppState;
use crate::store::{LogQuery, PageFrom, Store};
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use futures_util::{FutureExt, StreamExt, stream};
use std::sync::Arc;

/// The most rows one export holds.
pub(super) const EXPORT_ROW_CAP: usize = 100_000;
/// How many rows are read and written at a time.
const BATCH_ROWS: usize = 1_000;

/// One batch of an export: each row's id (where the next batch continues) and its cells.
type Batch = Vec<(i64, Vec<String>)>;
/// Reads one batch of a search: at most `limit` rows from `page`.
type FetchBatch = Box<dyn FnMut(PageFrom, i64) -> BoxFuture<'static, anyhow::Result<Batch>> + Send>;

/// A log that exports as CSV: its download's name, its columns, how a page of the search is read, and each row's
/// cells as the signed-in user may see them.
pub(super) trait ExportedLog: 'static {
    type Row: Send;
    /// The download is `{NAME}-{date}.csv`.
    const NAME: &'static str;
    /// The header, without the `sync_status` column that ends it for those who may see it.
    const COLUMNS: &'static [&'static str];

    /// One page of the search.
    fn rows<'a>(store: &'a dyn Store, query: &'a LogQuery) -> BoxFuture<'a, sqlx::Result<Vec<Self::Row>>>;

    /// The row's id and its cells, with its `sync_status` last when `with_sync_status`.
    fn cells(session: &Session, users: &[User], row: &Self::Row, with_sync_status: bool) -> (i64, Vec<String>);
}

/// The rows `params`' search selects of log `L`, as a CSV download: every page of the search, newest first, at most
/// `EXPORT_ROW_CAP` rows (the paging parameters are ignored). A search that selects nothing this user may see is an
/// export of the header alone.
pub(super) async fn export_log<L: ExportedLog>(
    state: &AppState,
    session: Session,
    params: LogParams,
) -> ApiResult<Response> {
    let with_sync_status = may_see_sync_status(&session);
    let mut header = L::COLUMNS.to_vec();
    if with_sync_status {
        header.push("sync_status");
    }
    let query = log_query(state, &session, params).await?;
    let users = state.store.list_users(session.account.id).await?;
    let (store, context) = (state.store.clone(), Arc::new((session, users)));
    let fetch: FetchBatch = Box::new(move |page, limit| {
        let query = query.clone().map(|query| LogQuery { page, limit, ..query });
        let (store, context) = (store.clone(), context.clone());
        async move {
            let Some(query) = query else { return Ok(Vec::new()) };
            let (session, users) = &*context;
            let rows = L::rows(store.as_ref(), &query).await?;
            Ok(rows.iter().map(|row| L::cells(session, users, row, with_sync_status)).collect())
        }
        .boxed()
    });
    Ok(csv_download(L::NAME, &header, fetch))
}

/// Appends `value` to `line` as one CSV field.
fn push_field(line: &mut String, value: &str) {
    let guarded = value.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = value.contains([',', '"', '\r', '\n']);
    if quoted {
        line.push('"');
    }
    if guarded {
        line.push('\'');
    }
    if quoted {
        line.push_str(&value.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(value);
    }
}

/// One CSV line of `cells`, ending with CRLF.
pub(super) fn csv_line<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = String::new();
    for (index, cell) in cells.into_iter().enumerate() {
        if index > 0 {
            line.push(',');
        }
        push_field(&mut line, cell);
    }
    line.push_str("\r\n");
    line
}

struct Export {
    page: PageFrom,
    fetch: FetchBatch,
    written: usize,
    done: bool,
}

/// The next chunk of an export: one batch's lines, or `None` when the search or the cap is exhausted.
async fn next_chunk(mut export: Export) -> Option<(Result<Bytes, std::io::Error>, Export)> {
    if export.done || export.written >= EXPORT_ROW_CAP {
        return None;
    }
    let wanted = BATCH_ROWS.min(EXPORT_ROW_CAP - export.written);
    match (export.fetch)(export.page, i64::try_from(wanted).unwrap_or(1)).await {
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "a CSV export failed after it began");
            export.done = true;
            Some((Err(std::io::Error::other(error)), export))
        }
        Ok(batch) => {
            let (last_id, _) = batch.last()?;
            export.page = PageFrom::OlderThan(*last_id);
            export.written += batch.len();
            export.done = batch.len() < wanted;
            let chunk: String = batch.iter().map(|(_, cells)| csv_line(cells.iter().map(String::as_str))).collect();
            Some((Ok(Bytes::from(chunk)), export))
        }
    }
}

/// The download of a search as `{name}-{date}.csv`: the header line, then the rows batch by batch.
fn csv_download(name: &str, header: &[&str], fetch: FetchBatch) -> Response {
    let head = Bytes::from(csv_line(header.iter().copied()));
    let start = Export { page: PageFrom::Newest, fetch, written: 0, done: false };
    let body = stream::once(async move { Ok::<_, std::io::Error>(head) }).chain(stream::unfold(start, next_chunk));
    let filename = format!("{name}-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// An enum's wire name (`inbound`, `completed`, `synced`), for a cell.
pub(super) fn wire_name(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

/// A time as a cell: RFC 3339 in UTC, to the second.
pub(super) fn time_cell(at: Option<chrono::DateTime<chrono::Utc>>) -> String {
    at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::csv_line;

    #[test]
    fn fields_are_quoted_only_when_they_must_be() {
        assert_eq!(csv_line(["a", "b c", ""]), "a,b c,\r\n");
        assert_eq!(
            csv_line(["one, two", "say \"hi\"", "line\nbreak"]),
            "\"one, two\",\"say \"\"hi\"\"\",\"line\nbreak\"\r\n"
        );
    }

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_text() {
        assert_eq!(
            csv_line(["=1+2", "+14155550100", "-3", "@SUM(A1)", "a=b"]),
            "'=1+2,'+14155550100,'-3,'@SUM(A1),a=b\r\n"
        );
        assert_eq!(csv_line(["=HYPERLINK(\"x\",\"y\")"]), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"\r\n");
    }
}
