//! One checkpoint format for every model: a magic line, a JSON header (clock, outputs so far,
//! model scalars, field names), the state fields' raw 4-byte elements (f32 or integer, stored
//! bit for bit, little-endian, in storage order), and an FNV-1a checksum.
//! Written atomically, so a killed run always leaves the previous complete checkpoint.

use anyhow::{bail, ensure, Context, Result};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

use super::atomic::write_atomic;

const MAGIC: &[u8; 16] = b"MESOLYTE-CKPT-1\n";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckpointHeader {
    pub model: String,
    /// The resolved scenario, less the keys a resumed run may change (see `sim::fingerprint`).
    pub fingerprint: String,
    pub step: u64,
    /// Simulated time as f64 bits, so the resumed clock is exact.
    pub time_bits: u64,
    /// Index of the next output time.
    pub next_output: u64,
    pub snapshots: Vec<(f64, String)>,
    pub metric_columns: Vec<String>,
    /// Metric values; JSON has no NaN or infinity (a metric not yet defined, an infinite
    /// tortuosity), so those are stored as the strings "nan", "inf" and "-inf".
    #[serde(with = "metric_values")]
    pub metric_rows: Vec<Vec<f64>>,
    pub scalars: serde_json::Value,
    pub fields: Vec<String>,
    pub cells: u64,
}

/// Metric rows with non-finite values written as strings. Finite values stay JSON numbers,
/// read back exactly (serde_json's `float_roundtrip`). A `null`, as checkpoints written
/// before this encoding held for a non-finite value, reads as NaN.
mod metric_values {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Value {
        Number(f64),
        Text(String),
        Missing(()),
    }

    fn encode(v: f64) -> Value {
        if v.is_finite() {
            Value::Number(v)
        } else if v.is_nan() {
            Value::Text("nan".into())
        } else if v > 0.0 {
            Value::Text("inf".into())
        } else {
            Value::Text("-inf".into())
        }
    }

    fn decode<E: serde::de::Error>(v: Value) -> Result<f64, E> {
        match v {
            Value::Number(x) => Ok(x),
            Value::Missing(()) => Ok(f64::NAN),
            Value::Text(t) => match t.as_str() {
                "nan" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                other => Err(E::custom(format!("unexpected metric value {other:?}"))),
            },
        }
    }

    pub fn serialize<S: Serializer>(rows: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        let rows: Vec<Vec<Value>> = rows
            .iter()
            .map(|r| r.iter().map(|&v| encode(v)).collect())
            .collect();
        rows.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        Vec::<Vec<Value>>::deserialize(d)?
            .into_iter()
            .map(|r| r.into_iter().map(decode).collect())
            .collect()
    }
}

fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}
const FNV_START: u64 = 0xcbf29ce484222325;

/// The 64-bit FNV-1a hash of `bytes`, as 16 hex digits: a short stable name for a text
/// (a sweep case's scenario fingerprint).
pub fn hash_hex(bytes: &[u8]) -> String {
    format!("{:016x}", fnv1a(FNV_START, bytes))
}

/// `fields` are each field's elements as raw bits (`Field::download_raw`).
pub fn write(path: &Path, header: &CheckpointHeader, fields: &[Vec<u32>]) -> Result<()> {
    let json = serde_json::to_vec(header)?;
    write_atomic(path, |w| {
        let mut hash = FNV_START;
        w.write_all(MAGIC)?;
        w.write_all(&(json.len() as u64).to_le_bytes())?;
        w.write_all(&json)?;
        for f in fields {
            let bytes: &[u8] = bytemuck::cast_slice(f);
            hash = fnv1a(hash, bytes);
            w.write_all(bytes)?;
        }
        w.write_all(&hash.to_le_bytes())
    })?;
    Ok(())
}

/// The header and each field's elements as raw bits (for `Field::upload_raw`).
pub fn read(path: &Path) -> Result<(CheckpointHeader, Vec<Vec<u32>>)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("reading checkpoint {}", path.display()))?;
    let bad = || {
        format!(
            "{} is not a mesolyte checkpoint or is damaged",
            path.display()
        )
    };
    ensure!(bytes.len() >= 32 && &bytes[..16] == MAGIC, bad());
    let json_len = u64::from_le_bytes(bytes[16..24].try_into().unwrap()) as usize;
    let json_end = 24 + json_len;
    ensure!(bytes.len() >= json_end + 8, bad());
    let header: CheckpointHeader =
        serde_json::from_slice(&bytes[24..json_end]).with_context(bad)?;
    let field_bytes = header.cells as usize * 4;
    let data_end = json_end + field_bytes * header.fields.len();
    ensure!(bytes.len() == data_end + 8, bad());
    let stored = u64::from_le_bytes(bytes[data_end..].try_into().unwrap());
    if fnv1a(FNV_START, &bytes[json_end..data_end]) != stored {
        bail!("{}: checksum mismatch", bad());
    }
    let fields = bytes[json_end..data_end]
        .chunks_exact(field_bytes.max(1))
        .map(bytemuck::pod_collect_to_vec::<u8, u32>)
        .collect();
    Ok((header, fields))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(rows: Vec<Vec<f64>>) -> CheckpointHeader {
        CheckpointHeader {
            model: "gde".into(),
            fingerprint: "x".into(),
            step: 3,
            time_bits: 0.1f64.to_bits(),
            next_output: 1,
            snapshots: vec![(0.1, "a.vti".into())],
            metric_columns: vec!["a".into(), "b".into(), "c".into(), "d".into()],
            metric_rows: rows,
            scalars: serde_json::json!({}),
            fields: vec!["u".into()],
            cells: 2,
        }
    }

    /// Metric rows hold NaN where a metric is not defined yet (a gde stage's first rows) and
    /// infinity where it is unbounded; a checkpoint must read them back, and every finite
    /// value bit for bit.
    #[test]
    fn non_finite_metrics_survive_a_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.bin");
        let row = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.1 + 0.2];
        let bits = vec![1.0f32.to_bits(), f32::NAN.to_bits() | 1];
        write(
            &path,
            &header(vec![row.clone()]),
            std::slice::from_ref(&bits),
        )
        .unwrap();
        let (h, fields) = read(&path).unwrap();
        assert_eq!(fields, vec![bits]);
        let got = &h.metric_rows[0];
        assert!(got[0].is_nan());
        assert_eq!(got[1], f64::INFINITY);
        assert_eq!(got[2], f64::NEG_INFINITY);
        assert_eq!(got[3].to_bits(), row[3].to_bits());
    }

    /// Checkpoints written before non-finite values became strings held `null` there.
    #[test]
    fn a_null_metric_reads_as_nan() {
        let json = serde_json::to_string(&header(vec![vec![1.5, 2.0, 3.0, 4.0]]))
            .unwrap()
            .replace("[1.5,", "[null,");
        let h: CheckpointHeader = serde_json::from_str(&json).unwrap();
        assert!(h.metric_rows[0][0].is_nan());
        assert_eq!(h.metric_rows[0][1], 2.0);
        let bad = json.replace("[null,", "[\"many\",");
        assert!(serde_json::from_str::<CheckpointHeader>(&bad).is_err());
    }
}
