//! One checkpoint format for every model: a magic line, a JSON header (clock, outputs so far,
//! model scalars, field names), the raw f32 state fields, and an FNV-1a checksum.
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
    pub metric_rows: Vec<Vec<f64>>,
    pub scalars: serde_json::Value,
    pub fields: Vec<String>,
    pub cells: u64,
}

fn fnv1a(hash: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(hash, |h, &b| (h ^ b as u64).wrapping_mul(0x100000001b3))
}
const FNV_START: u64 = 0xcbf29ce484222325;

pub fn write(path: &Path, header: &CheckpointHeader, fields: &[Vec<f32>]) -> Result<()> {
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

pub fn read(path: &Path) -> Result<(CheckpointHeader, Vec<Vec<f32>>)> {
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
        .map(bytemuck::pod_collect_to_vec::<u8, f32>)
        .collect();
    Ok((header, fields))
}
