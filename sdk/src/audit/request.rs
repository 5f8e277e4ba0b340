//! The audit request an auditor writes: a small TOML header naming a data file (CSV with a header
//! line, or JSON Lines) of applications, the decision time and scope every row is decided at, a
//! random nonce, and which columns are the label, the groups and the counterfactual pairs.
//!
//! ```toml
//! data = "applicants.csv"                       # beside this file; `.csv` or `.jsonl`
//! nonce = "9f2c4e...(at least 32 hex digits)"   # random, chosen by the auditor
//! time = "2026-06-01T09:00:00Z"                 # the decision time of every row
//! scope = "consumer-credit/EU-DE/instalment-loan"
//! label = "good"                                # optional: 1 = a good outcome, 0 = a bad one
//! groups = ["personal_status_sex"]              # optional: columns whose values form groups
//! pair = "pair"                                 # optional: rows sharing a non-empty value must land in one band
//! approve_cut = 2                               # optional: band index from which a row counts as approved
//! ignore = ["applicant"]                        # optional: other columns, neither features nor settings
//! ```
//!
//! Its [`RequestDigest`] (blake3 over the data file's bytes as given and a canonical encoding of
//! every setting) identifies the audit. Each row's decision id and commitment salt are derived
//! from the digest and the row number, so the lender can neither choose, drop nor swap rows, nor
//! grind a salt: see `docs/audit.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundle::DecisionId;
use crate::circuits::Features;
use crate::field::Field;
use crate::input_file::read_input;
use crate::policy::Policy;
use crate::registry::{Scope, Timestamp};

use super::AuditError;

/// Largest request header read.
pub const MAX_REQUEST_BYTES: u64 = 64 << 10;
/// Largest data file read.
pub const MAX_DATA_BYTES: u64 = 64 << 20;
/// Most rows an audit holds.
pub const MAX_ROWS: usize = 100_000;
/// Fewest hex digits of a nonce (128 bits).
pub const MIN_NONCE_HEX: usize = 32;
/// Most problems one error lists.
const MAX_PROBLEMS: usize = 20;

/// What identifies an audit: blake3 over the data file and the settings (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestDigest([u8; 32]);

impl RequestDigest {
    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Reads 64 hex digits.
    pub fn from_hex(text: &str) -> Option<RequestDigest> {
        let bytes = hex::decode(text).ok()?;
        Some(RequestDigest(bytes.try_into().ok()?))
    }

    /// The decision id of row `row` (from 1): `audit-<digest>-<row>`.
    pub fn decision_id(&self, row: usize) -> DecisionId {
        DecisionId::new(&format!("audit-{}-{row}", self.to_hex()))
            .unwrap_or_else(|e| unreachable!("a derived decision id is always valid: {e}"))
    }

    /// The commitment salt of row `row`: 64 bytes of blake3's output keyed by the digest and the
    /// row, reduced into the field.
    pub fn salt(&self, row: usize) -> Field {
        let mut hasher = blake3::Hasher::new_derive_key("govproof audit row salt v1");
        hasher.update(&self.0);
        hasher.update(&(row as u64).to_le_bytes());
        let mut wide = [0u8; 64];
        hasher.finalize_xof().fill(&mut wide);
        Field::from_wide_bytes_reduce(&wide)
    }
}

impl fmt::Display for RequestDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for RequestDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestDigest({})", self.to_hex())
    }
}

impl Serialize for RequestDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for RequestDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RequestDigest::from_hex(&text)
            .ok_or_else(|| serde::de::Error::custom("a request digest is 64 hex digits"))
    }
}

/// How the data file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DataFormat {
    /// Comma-separated values with a header line (RFC 4180 quoting).
    Csv,
    /// One JSON object per line.
    Jsonl,
}

/// The settings of a request, as declared in its header (part of the digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Settings {
    /// How the data file is written.
    pub format: DataFormat,
    /// The nonce, lowercase hex.
    pub nonce: String,
    /// The decision time of every row.
    pub time: Timestamp,
    /// The scope every row is decided in.
    pub scope: Scope,
    /// The label column, if any.
    pub label: Option<String>,
    /// The group columns.
    pub groups: Vec<String>,
    /// The counterfactual pair column, if any.
    pub pair: Option<String>,
    /// The band index from which a row counts as approved in the confusion table (`None`: a row
    /// counts as approved when its outcome is `approve`).
    pub approve_cut: Option<u32>,
    /// Columns that are neither features nor settings.
    pub ignore: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    data: PathBuf,
    nonce: String,
    time: String,
    scope: String,
    label: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    pair: Option<String>,
    approve_cut: Option<u32>,
    #[serde(default)]
    ignore: Vec<String>,
}

/// One row of the request: its cells by column, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Its number, from 1.
    pub number: usize,
    cells: BTreeMap<String, String>,
}

impl Row {
    /// The cell of `column`, as written.
    pub fn cell(&self, column: &str) -> Option<&str> {
        self.cells.get(column).map(String::as_str)
    }
}

/// An audit request, read and checked (not yet against a policy: [`Request::features`]).
#[derive(Debug, Clone)]
pub struct Request {
    path: PathBuf,
    settings: Settings,
    columns: Vec<String>,
    rows: Vec<Row>,
    digest: RequestDigest,
    data_digest: [u8; 32],
}

/// A row's label: whether its outcome was good.
pub type Label = bool;

impl Request {
    /// Reads the request header at `path` and the data file it names (relative to the header's
    /// folder), checking every setting; every problem is named.
    pub fn read(path: &Path) -> Result<Request, AuditError> {
        let bad = |problems: Vec<String>| AuditError::Request {
            path: path.to_path_buf(),
            problems,
        };
        let bytes = read_input(path, "audit request", MAX_REQUEST_BYTES)?;
        let text = std::str::from_utf8(&bytes).map_err(|_| bad(vec!["not UTF-8 text".into()]))?;
        let header: Header = toml::from_str(text).map_err(|e| {
            bad(vec![format!(
                "not an audit request: {}",
                one_line(&e.to_string())
            )])
        })?;
        let data_path = path
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&header.data);
        let data = read_input(&data_path, "audit data file", MAX_DATA_BYTES)?;
        Request::from_parts(path, &header, &data_path, &data)
    }

    fn from_parts(
        path: &Path,
        header: &Header,
        data_path: &Path,
        data: &[u8],
    ) -> Result<Request, AuditError> {
        let mut problems = Vec::new();
        let format = match data_path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Some(DataFormat::Csv),
            Some("jsonl") => Some(DataFormat::Jsonl),
            _ => {
                problems.push(format!(
                    "the data file `{}` is neither `.csv` nor `.jsonl`",
                    header.data.display()
                ));
                None
            }
        };
        let nonce = header.nonce.to_ascii_lowercase();
        if nonce.len() < MIN_NONCE_HEX || hex::decode(&nonce).is_err() {
            problems.push(format!(
                "nonce `{}` is not at least {MIN_NONCE_HEX} hex digits (an even number)",
                shorten(&header.nonce)
            ));
        }
        let time = Timestamp::parse(&header.time)
            .map_err(|e| problems.push(format!("time `{}`: {e}", shorten(&header.time))))
            .ok();
        let scope = header
            .scope
            .parse::<Scope>()
            .map_err(|e| problems.push(format!("scope `{}`: {e}", shorten(&header.scope))))
            .ok();
        let (columns, rows) = match format {
            Some(DataFormat::Csv) => parse_csv(data),
            Some(DataFormat::Jsonl) => parse_jsonl(data),
            None => Ok((Vec::new(), Vec::new())),
        }
        .unwrap_or_else(|mut p| {
            problems.append(&mut p);
            (Vec::new(), Vec::new())
        });
        if format.is_some() && rows.is_empty() && problems.is_empty() {
            problems.push("the data file has no rows".into());
        }
        if rows.len() > MAX_ROWS {
            problems.push(format!("the data file has more than {MAX_ROWS} rows"));
        }
        let known: BTreeSet<&str> = columns.iter().map(String::as_str).collect();
        let mut named: Vec<(&str, &str)> = Vec::new();
        if let Some(l) = &header.label {
            named.push(("label", l));
        }
        if let Some(p) = &header.pair {
            named.push(("pair", p));
        }
        named.extend(header.groups.iter().map(|g| ("group", g.as_str())));
        named.extend(header.ignore.iter().map(|g| ("ignored", g.as_str())));
        if !columns.is_empty() {
            for (what, column) in &named {
                if !known.contains(column) {
                    problems.push(format!(
                        "the {what} column `{}` is not in the data file",
                        shorten(column)
                    ));
                }
            }
        }
        if let Some(l) = &header.label {
            for row in &rows {
                if let Some(v) = row.cell(l) {
                    if parse_label(v).is_none() {
                        problems.push(format!(
                            "row {}: label `{}` is `{}`, not 0 or 1",
                            row.number,
                            shorten(l),
                            shorten(v)
                        ));
                    }
                }
            }
        }
        if let Some(p) = &header.pair {
            let mut sets: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
            for row in &rows {
                if let Some(v) = row.cell(p).filter(|v| !v.is_empty()) {
                    sets.entry(v).or_default().push(row.number);
                }
            }
            for (value, members) in sets {
                if members.len() < 2 {
                    problems.push(format!(
                        "counterfactual pair `{}` has only row {}",
                        shorten(value),
                        members[0]
                    ));
                }
            }
        }
        if !problems.is_empty() {
            problems.truncate(MAX_PROBLEMS);
            return Err(AuditError::Request {
                path: path.to_path_buf(),
                problems,
            });
        }
        let (Some(format), Some(time), Some(scope)) = (format, time, scope) else {
            unreachable!("every missing setting is a problem above")
        };
        let mut groups = header.groups.clone();
        groups.dedup();
        let settings = Settings {
            format,
            nonce,
            time,
            scope,
            label: header.label.clone(),
            groups,
            pair: header.pair.clone(),
            approve_cut: header.approve_cut,
            ignore: header.ignore.clone(),
        };
        let digest = digest(&settings, data);
        Ok(Request {
            path: path.to_path_buf(),
            settings,
            columns,
            rows,
            digest,
            data_digest: *blake3::hash(data).as_bytes(),
        })
    }

    /// The header file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The digest that identifies the audit.
    pub fn digest(&self) -> RequestDigest {
        self.digest
    }

    /// blake3 of the data file's bytes alone: the data set's identity in a benchmark claim.
    pub fn data_digest(&self) -> String {
        hex::encode(self.data_digest)
    }

    /// The rows, in order.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The row labels, when the request has a label column.
    pub fn labels(&self) -> Option<Vec<Label>> {
        let column = self.settings.label.as_deref()?;
        Some(
            self.rows
                .iter()
                .map(|r| r.cell(column).and_then(parse_label).unwrap_or(false))
                .collect(),
        )
    }

    /// Each group column with every row's value.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        self.settings
            .groups
            .iter()
            .map(|g| {
                let values = self
                    .rows
                    .iter()
                    .map(|r| r.cell(g).unwrap_or_default().to_string())
                    .collect();
                (g.clone(), values)
            })
            .collect()
    }

    /// The counterfactual pairs: each pair value with its rows (from 1), in order.
    pub fn pairs(&self) -> Vec<(String, Vec<usize>)> {
        let Some(column) = self.settings.pair.as_deref() else {
            return Vec::new();
        };
        let mut sets: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for row in &self.rows {
            if let Some(v) = row.cell(column).filter(|v| !v.is_empty()) {
                sets.entry(v.to_string()).or_default().push(row.number);
            }
        }
        sets.into_iter().collect()
    }

    /// Every row's features in `policy`'s order and fixed point, checked against its ranges; a
    /// column that is neither a feature of the policy nor a declared setting, a missing feature,
    /// or a value that is not a number in range is an error naming the row and column.
    pub fn features(&self, policy: &Policy) -> Result<Vec<Features>, AuditError> {
        let mut problems = Vec::new();
        let declared: BTreeSet<&str> = self
            .settings
            .label
            .iter()
            .chain(self.settings.pair.iter())
            .chain(self.settings.groups.iter())
            .chain(self.settings.ignore.iter())
            .map(String::as_str)
            .collect();
        for c in &self.columns {
            if policy.feature_index(c).is_none() && !declared.contains(c.as_str()) {
                problems.push(format!(
                    "column `{}` is not a feature of policy `{}` (list it under `ignore` if it is not one)",
                    shorten(c),
                    policy.id().as_str()
                ));
            }
        }
        let mut all = Vec::with_capacity(self.rows.len());
        for row in &self.rows {
            let mut values = Vec::with_capacity(policy.features().len());
            for f in policy.features() {
                let name = f.name.as_str();
                let Some(text) = row.cell(name) else {
                    problems.push(format!("row {}: feature `{name}` is missing", row.number));
                    continue;
                };
                let Some(x) = text.trim().parse::<f64>().ok().filter(|x| x.is_finite()) else {
                    problems.push(format!(
                        "row {}: feature `{name}` is `{}`, not a number",
                        row.number,
                        shorten(text)
                    ));
                    continue;
                };
                match crate::circuits::fixed::quantize_feature(x) {
                    Err(e) => problems.push(format!("row {}: feature `{name}`: {e}", row.number)),
                    Ok(q) if q < f.lo || q > f.hi => problems.push(format!(
                        "row {}: feature `{name}` is `{x}`, outside its declared range [{}, {}]",
                        row.number, f.min, f.max
                    )),
                    Ok(q) => values.push(q),
                }
            }
            if values.len() == policy.features().len() {
                match Features::new(values) {
                    Ok(f) => all.push(f),
                    Err(e) => problems.push(format!("row {}: {e}", row.number)),
                }
            }
            if problems.len() > MAX_PROBLEMS {
                break;
            }
        }
        if problems.is_empty() {
            Ok(all)
        } else {
            problems.truncate(MAX_PROBLEMS);
            Err(AuditError::Request {
                path: self.path.clone(),
                problems,
            })
        }
    }
}

/// blake3 over a domain tag, the settings as canonical JSON (fields in a fixed order, the
/// nonce in lowercase) and the data bytes, each length-prefixed.
fn digest(settings: &Settings, data: &[u8]) -> RequestDigest {
    let canonical = serde_json::to_vec(settings)
        .unwrap_or_else(|e| unreachable!("settings always serialize: {e}"));
    let mut hasher = blake3::Hasher::new_derive_key("govproof audit request v1");
    for part in [canonical.as_slice(), data] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    RequestDigest(*hasher.finalize().as_bytes())
}

fn parse_label(text: &str) -> Option<bool> {
    match text.trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}

/// CSV with a header line: RFC 4180 fields (quotes doubled inside quoted fields), LF or CRLF.
fn parse_csv(data: &[u8]) -> Result<(Vec<String>, Vec<Row>), Vec<String>> {
    let text = std::str::from_utf8(data).map_err(|_| vec!["the data file is not UTF-8".into()])?;
    let records = csv_records(text)?;
    let mut records = records.into_iter();
    let Some((_, columns)) = records.next() else {
        return Err(vec!["the data file is empty".into()]);
    };
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for c in &columns {
        if c.is_empty() {
            problems.push("the header line has an empty column name".to_string());
        } else if !seen.insert(c.as_str()) {
            problems.push(format!("column `{}` appears twice", shorten(c)));
        }
    }
    let mut rows = Vec::new();
    for (line, fields) in records {
        if fields.len() == 1 && fields[0].is_empty() {
            continue;
        }
        if fields.len() != columns.len() {
            problems.push(format!(
                "line {line}: {} fields, the header has {}",
                fields.len(),
                columns.len()
            ));
            continue;
        }
        rows.push(Row {
            number: rows.len() + 1,
            cells: columns.iter().cloned().zip(fields).collect(),
        });
    }
    if problems.is_empty() {
        Ok((columns, rows))
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

/// The records of a CSV text with the line each starts on.
fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, Vec<String>> {
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut line, mut start) = (1usize, 1usize);
    let mut quoted = false;
    let mut at_field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if at_field_start => {
                quoted = true;
                at_field_start = false;
            }
            '"' => {
                return Err(vec![format!(
                    "line {line}: a quote inside an unquoted field"
                )])
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                at_field_start = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut fields)));
                line += 1;
                start = line;
                at_field_start = true;
            }
            _ => {
                field.push(c);
                at_field_start = false;
            }
        }
    }
    if quoted {
        return Err(vec![format!("line {start}: a quoted field is not closed")]);
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

/// JSON Lines: one object per line whose values are numbers, strings or booleans; the columns
/// are the first object's keys, and every object must have exactly those.
fn parse_jsonl(data: &[u8]) -> Result<(Vec<String>, Vec<Row>), Vec<String>> {
    let mut problems = Vec::new();
    let mut columns: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for (i, line) in data.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let doc: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(line) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("line {}: not a JSON object: {e}", i + 1));
                continue;
            }
        };
        let mut cells = BTreeMap::new();
        for (k, v) in doc {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                other => {
                    problems.push(format!(
                        "line {}: `{}` is `{}`, not a number, string or boolean",
                        i + 1,
                        shorten(&k),
                        shorten(&other.to_string())
                    ));
                    continue;
                }
            };
            cells.insert(k, text);
        }
        let keys: Vec<String> = cells.keys().cloned().collect();
        match &columns {
            None => columns = Some(keys),
            Some(c) if *c != keys => problems.push(format!(
                "line {}: its keys differ from the first line's",
                i + 1
            )),
            Some(_) => {}
        }
        rows.push(Row {
            number: rows.len() + 1,
            cells,
        });
        if problems.len() > MAX_PROBLEMS {
            break;
        }
    }
    if problems.is_empty() {
        Ok((columns.unwrap_or_default(), rows))
    } else {
        problems.truncate(MAX_PROBLEMS);
        Err(problems)
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most 64 characters of user input, for messages.
pub(crate) fn shorten(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars
        .by_ref()
        .take(64)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(extra: &str) -> Header {
        toml::from_str(&format!(
            "data = \"d.csv\"\nnonce = \"{}\"\ntime = \"2026-06-01T09:00:00Z\"\n\
             scope = \"consumer-credit/EU-DE/instalment-loan\"\n{extra}",
            "ab".repeat(16)
        ))
        .unwrap()
    }

    fn request(extra: &str, data: &str) -> Result<Request, AuditError> {
        Request::from_parts(
            Path::new("r.toml"),
            &header(extra),
            Path::new("d.csv"),
            data.as_bytes(),
        )
    }

    fn problems(r: Result<Request, AuditError>) -> String {
        match r {
            Err(AuditError::Request { problems, .. }) => problems.join("; "),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn csv_rows_read_with_quotes_and_crlf() {
        let r = request(
            "label = \"good\"\npair = \"p\"",
            "a,\"b,c\",good,p\r\n1,\"x \"\"y\"\"\",1,k\r\n2,z,0,k\r\n",
        )
        .unwrap();
        assert_eq!(r.rows().len(), 2);
        assert_eq!(r.rows()[0].cell("b,c"), Some("x \"y\""));
        assert_eq!(r.labels(), Some(vec![true, false]));
        assert_eq!(r.pairs(), vec![("k".to_string(), vec![1, 2])]);
    }

    #[test]
    fn the_digest_changes_with_every_setting_and_byte() {
        let data = "a,good\n1,1\n2,0\n";
        let base = request("label = \"good\"", data).unwrap().digest();
        assert_ne!(request("", data).unwrap().digest(), base);
        assert_ne!(
            request("label = \"good\"", "a,good\n1,1\n2,1\n")
                .unwrap()
                .digest(),
            base
        );
        assert_ne!(
            request("label = \"good\"\napprove_cut = 1", data)
                .unwrap()
                .digest(),
            base
        );
        // Derived ids and salts differ between rows and audits.
        assert_ne!(base.salt(1), base.salt(2));
        assert_ne!(base.decision_id(1), base.decision_id(2));
        assert!(base.decision_id(100_000).as_str().len() <= 128);
    }

    #[test]
    fn every_problem_of_a_request_is_named() {
        let all = problems(request(
            "label = \"good\"\ngroups = [\"g\"]\npair = \"p\"",
            "a,good,p\n1,2,x\n",
        ));
        for part in [
            "the group column `g` is not in the data file",
            "row 1: label `good` is `2`, not 0 or 1",
            "counterfactual pair `x` has only row 1",
        ] {
            assert!(all.contains(part), "{part}: {all}");
        }
        let all = problems(request("", "a,b\n1\n"));
        assert!(all.contains("line 2: 1 fields, the header has 2"), "{all}");
        let all = problems(request("", "a,b\n1,\"2\n"));
        assert!(all.contains("not closed"), "{all}");
    }
}
