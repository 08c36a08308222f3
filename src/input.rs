//! Reads one TOML section key by key, checking types and ranges, recording the resolved
//! value (defaults included), and rejecting keys nobody asked for. The scenario reader and
//! every model's parameter reader use it; it knows neither.

use std::collections::BTreeSet;
use std::fmt;

/// A scenario problem, reported before any GPU work: which file, which key, what is allowed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ScenarioError {
    pub file: String,
    /// `section.key`, or the section for section-level problems.
    pub key: String,
    pub message: String,
}

/// An allowed interval for a number, printed in error messages.
#[derive(Debug, Clone, Copy)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
    pub lo_open: bool,
    pub hi_open: bool,
}

impl Range {
    pub const fn closed(lo: f64, hi: f64) -> Range {
        Range {
            lo,
            hi,
            lo_open: false,
            hi_open: false,
        }
    }
    /// `(0, inf)`.
    pub const fn positive() -> Range {
        Range {
            lo: 0.0,
            hi: f64::INFINITY,
            lo_open: true,
            hi_open: true,
        }
    }
    /// `[0, inf)`.
    pub const fn non_negative() -> Range {
        Range {
            lo: 0.0,
            hi: f64::INFINITY,
            lo_open: false,
            hi_open: true,
        }
    }
    /// Any finite number.
    pub const fn any() -> Range {
        Range {
            lo: f64::NEG_INFINITY,
            hi: f64::INFINITY,
            lo_open: true,
            hi_open: true,
        }
    }
    /// `(lo, hi]`
    pub const fn open_closed(lo: f64, hi: f64) -> Range {
        Range {
            lo,
            hi,
            lo_open: true,
            hi_open: false,
        }
    }

    pub fn contains(&self, v: f64) -> bool {
        let above = if self.lo_open {
            v > self.lo
        } else {
            v >= self.lo
        };
        let below = if self.hi_open {
            v < self.hi
        } else {
            v <= self.hi
        };
        v.is_finite() && above && below
    }
}

/// A number in an error message as a user would type it: exponent form outside [0.01, 1e6)
/// (4e-5, not 0.00004), and the shortest digits that read back as the same f64, so a bound
/// copied from the message is accepted.
pub fn format_value(v: f64) -> String {
    crate::io::format_plain_within(v, 1e-2..1e6)
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let num = |v: f64| {
            if v.is_infinite() {
                if v > 0.0 {
                    "inf".to_string()
                } else {
                    "-inf".to_string()
                }
            } else {
                format_value(v)
            }
        };
        write!(
            f,
            "{}{}, {}{}",
            if self.lo_open { '(' } else { '[' },
            num(self.lo),
            num(self.hi),
            if self.hi_open { ')' } else { ']' }
        )
    }
}

/// One section of a scenario (or the top level), read key by key.
pub struct Section<'a> {
    file: &'a str,
    /// Dotted path of this section ("" for the top level).
    path: String,
    table: toml::Table,
    used: BTreeSet<String>,
    resolved: toml::Table,
}

fn type_name(v: &toml::Value) -> &'static str {
    match v {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

impl<'a> Section<'a> {
    pub fn new(file: &'a str, path: &str, table: toml::Table) -> Section<'a> {
        Section {
            file,
            path: path.to_string(),
            table,
            used: BTreeSet::new(),
            resolved: toml::Table::new(),
        }
    }

    pub fn file(&self) -> &str {
        self.file
    }

    /// `section.key` as shown to users.
    pub fn key_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// An error about `key` in this section.
    pub fn error(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_string(),
            key: self.key_path(key),
            message: message.into(),
        }
    }

    fn take(&mut self, key: &str) -> Option<toml::Value> {
        self.used.insert(key.to_string());
        self.table.get(key).cloned()
    }

    fn record(&mut self, key: &str, v: toml::Value) {
        self.resolved.insert(key.to_string(), v);
    }

    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    fn number(
        &mut self,
        key: &str,
        range: Range,
        v: toml::Value,
        unit: &str,
    ) -> Result<f64, ScenarioError> {
        let x = match &v {
            toml::Value::Float(f) => *f,
            toml::Value::Integer(i) => *i as f64,
            other => {
                return Err(self.error(
                    key,
                    format!("expected a number{unit}, found {}", type_name(other)),
                ));
            }
        };
        if !range.contains(x) {
            return Err(self.error(
                key,
                format!(
                    "{} is out of range; allowed: {range}{unit}",
                    format_value(x)
                ),
            ));
        }
        self.record(key, toml::Value::Float(x));
        Ok(x)
    }

    /// A required number in `range` (`unit` is shown in messages, e.g. " m").
    pub fn f64(&mut self, key: &str, range: Range, unit: &str) -> Result<f64, ScenarioError> {
        match self.take(key) {
            Some(v) => self.number(key, range, v, unit),
            None => Err(self.error(key, format!("missing; allowed: {range}{unit}"))),
        }
    }

    pub fn f64_or(
        &mut self,
        key: &str,
        default: f64,
        range: Range,
        unit: &str,
    ) -> Result<f64, ScenarioError> {
        match self.take(key) {
            Some(v) => self.number(key, range, v, unit),
            None => {
                self.record(key, toml::Value::Float(default));
                Ok(default)
            }
        }
    }

    pub fn opt_f64(
        &mut self,
        key: &str,
        range: Range,
        unit: &str,
    ) -> Result<Option<f64>, ScenarioError> {
        match self.take(key) {
            Some(v) => self.number(key, range, v, unit).map(Some),
            None => Ok(None),
        }
    }

    fn integer(
        &mut self,
        key: &str,
        lo: u64,
        hi: u64,
        v: toml::Value,
    ) -> Result<u64, ScenarioError> {
        let i = match &v {
            toml::Value::Integer(i) => *i,
            other => {
                return Err(self.error(
                    key,
                    format!(
                        "expected an integer in [{lo}, {hi}], found {}",
                        type_name(other)
                    ),
                ));
            }
        };
        if i < lo as i64 || (i as u64) > hi {
            return Err(self.error(
                key,
                format!("{i} is out of range; allowed: integers in [{lo}, {hi}]"),
            ));
        }
        self.record(key, toml::Value::Integer(i));
        Ok(i as u64)
    }

    pub fn u64(&mut self, key: &str, lo: u64, hi: u64) -> Result<u64, ScenarioError> {
        match self.take(key) {
            Some(v) => self.integer(key, lo, hi, v),
            None => Err(self.error(key, format!("missing; allowed: integers in [{lo}, {hi}]"))),
        }
    }

    pub fn u64_or(
        &mut self,
        key: &str,
        default: u64,
        lo: u64,
        hi: u64,
    ) -> Result<u64, ScenarioError> {
        match self.take(key) {
            Some(v) => self.integer(key, lo, hi, v),
            None => {
                self.record(key, toml::Value::Integer(default as i64));
                Ok(default)
            }
        }
    }

    /// A string that must be one of `options`.
    pub fn choice(
        &mut self,
        key: &str,
        options: &[&str],
        default: Option<&str>,
    ) -> Result<String, ScenarioError> {
        let allowed = options.join(", ");
        let s = match self.take(key) {
            Some(toml::Value::String(s)) => s,
            Some(other) => {
                return Err(self.error(
                    key,
                    format!("expected one of: {allowed}; found {}", type_name(&other)),
                ));
            }
            None => match default {
                Some(d) => d.to_string(),
                None => return Err(self.error(key, format!("missing; allowed: {allowed}"))),
            },
        };
        if !options.contains(&s.as_str()) {
            return Err(self.error(key, format!("{s:?} is not allowed; allowed: {allowed}")));
        }
        self.record(key, toml::Value::String(s.clone()));
        Ok(s)
    }

    pub fn string_or(&mut self, key: &str, default: &str) -> Result<String, ScenarioError> {
        match self.take(key) {
            Some(toml::Value::String(s)) => {
                self.record(key, toml::Value::String(s.clone()));
                Ok(s)
            }
            Some(other) => Err(self.error(
                key,
                format!("expected a string, found {}", type_name(&other)),
            )),
            None => {
                self.record(key, toml::Value::String(default.to_string()));
                Ok(default.to_string())
            }
        }
    }

    pub fn bool_or(&mut self, key: &str, default: bool) -> Result<bool, ScenarioError> {
        match self.take(key) {
            Some(toml::Value::Boolean(b)) => {
                self.record(key, toml::Value::Boolean(b));
                Ok(b)
            }
            Some(other) => Err(self.error(
                key,
                format!("expected true or false, found {}", type_name(&other)),
            )),
            None => {
                self.record(key, toml::Value::Boolean(default));
                Ok(default)
            }
        }
    }

    /// The raw value of `key`, for structured values the caller checks (recorded as given).
    pub fn raw(&mut self, key: &str) -> Option<toml::Value> {
        let v = self.take(key)?;
        self.record(key, v.clone());
        Some(v)
    }

    /// A sub-table, to be read with its own `Section` (missing = empty).
    pub fn table(&mut self, key: &str) -> Result<Section<'a>, ScenarioError> {
        let path = self.key_path(key);
        match self.take(key) {
            Some(toml::Value::Table(t)) => Ok(Section::new(self.file, &path, t)),
            Some(other) => Err(self.error(
                key,
                format!("expected a [{path}] section, found {}", type_name(&other)),
            )),
            None => Ok(Section::new(self.file, &path, toml::Table::new())),
        }
    }

    /// Stores a finished sub-section's resolved values under `key`.
    pub fn put_table(&mut self, key: &str, resolved: toml::Table) {
        self.record(key, toml::Value::Table(resolved));
    }

    /// Rejects keys that were never read; returns the resolved table.
    pub fn finish(self) -> Result<toml::Table, ScenarioError> {
        let unknown: Vec<&String> = self
            .table
            .keys()
            .filter(|k| !self.used.contains(*k))
            .collect();
        if let Some(k) = unknown.first() {
            let allowed: Vec<&str> = self.used.iter().map(String::as_str).collect();
            let what = if self.table.get(*k).is_some_and(|v| v.is_table()) {
                "section"
            } else {
                "key"
            };
            return Err(self.error(
                k,
                format!("unknown {what}; allowed here: {}", allowed.join(", ")),
            ));
        }
        Ok(self.resolved)
    }
}

/// Applies one `section.key=value` override to a scenario table. The value is read as TOML
/// (so `1e-6`, `true`, `"text"` and `[1, 2]` work) and, failing that, as a bare string.
/// Whether `text` is written as an integer (a sign, then digits and TOML's `_` separators).
fn looks_numeric(text: &str) -> bool {
    let t = text.strip_prefix(['+', '-']).unwrap_or(text);
    t.starts_with(|c: char| c.is_ascii_digit()) && t.chars().all(|c| c.is_ascii_digit() || c == '_')
}

pub fn apply_override(table: &mut toml::Table, spec: &str) -> Result<(), String> {
    let (path, value) = spec
        .split_once('=')
        .ok_or_else(|| format!("--set {spec:?}: expected section.key=value"))?;
    let path = path.trim();
    let value = value.trim();
    let parsed = match toml::from_str::<toml::Table>(&format!("v = {value}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
    {
        Some(v) => v,
        // Digits that TOML cannot hold (an integer beyond 64 bits) are a number out of
        // range, not the string they would otherwise be taken for.
        None if looks_numeric(value) => {
            return Err(format!(
                "--set {spec:?}: {value} is not a number TOML can hold (integers up to {}; \
                 larger values as floats, e.g. 1e30)",
                i64::MAX
            ));
        }
        None => toml::Value::String(value.to_string()),
    };
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!("--set {spec:?}: empty name in key path {path:?}"));
    }
    let mut t = table;
    for p in &parts[..parts.len() - 1] {
        let entry = t
            .entry(p.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        t = entry
            .as_table_mut()
            .ok_or_else(|| format!("--set {spec:?}: {p:?} is a value, not a section"))?;
    }
    t.insert(parts[parts.len() - 1].to_string(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_print_and_check() {
        assert_eq!(Range::positive().to_string(), "(0, inf)");
        assert_eq!(Range::closed(1.0, 4.0).to_string(), "[1, 4]");
        assert!(!Range::positive().contains(0.0));
        assert!(Range::non_negative().contains(0.0));
        assert!(!Range::any().contains(f64::NAN));
    }

    #[test]
    fn override_parses_toml_values_and_strings() {
        let mut t = toml::Table::new();
        apply_override(&mut t, "grid.dx=2e-6").unwrap();
        apply_override(&mut t, "run.seed = 7").unwrap();
        apply_override(&mut t, "diffusion.initial=sine").unwrap();
        assert_eq!(t["grid"]["dx"].as_float(), Some(2e-6));
        assert_eq!(t["run"]["seed"].as_integer(), Some(7));
        assert_eq!(t["diffusion"]["initial"].as_str(), Some("sine"));
        assert!(apply_override(&mut t, "grid.dx.x=1").is_err());
        assert!(apply_override(&mut t, "novalue").is_err());
    }
}
