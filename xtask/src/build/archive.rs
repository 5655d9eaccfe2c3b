//! Reproducible `.tar.gz` writing shared by charts and bundles: entries in the given order,
//! owner 0:0 with empty names, the given modes, one fixed mtime, and a gzip header without
//! time or file name. The same entries always give the same bytes.

use crate::plan::Entry;
use crate::plan::select::{EntryKind, refused_content};
use anyhow::{Context, bail};
use flate2::{Compression, GzBuilder};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

/// Writes `entries` (contents read from `root`) to `out`, through a temporary file so that a
/// failure never leaves a half-written archive behind.
/// `edit` may change a file's content on the way in (given its source path).
pub fn write_tar_gz(root: &Path, entries: &[Entry], mtime: i64, out: &Path, edit: &Edit) -> anyhow::Result<()> {
    let partial = out.with_extension("partial");
    let result = write(root, entries, mtime, &partial, edit);
    match result {
        Ok(()) => std::fs::rename(&partial, out).with_context(|| format!("move `{}` into place", out.display())),
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// A change to a file's content on its way into an archive (given its source path); an error
/// stops the archive.
pub type Edit<'a> = dyn Fn(&str, Vec<u8>) -> anyhow::Result<Vec<u8>> + 'a;

fn write(root: &Path, entries: &[Entry], mtime: i64, path: &Path, edit: &Edit) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("create `{}`", path.display()))?;
    // mtime 0 and no file name keep the gzip header free of build-time facts.
    let gz = GzBuilder::new().mtime(0).operating_system(255).write(BufWriter::new(file), Compression::new(9));
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    let mtime = u64::try_from(mtime).unwrap_or(0);
    for entry in entries {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_username("")?;
        header.set_groupname("")?;
        header.set_mtime(mtime);
        header.set_mode(entry.mode);
        match &entry.kind {
            EntryKind::File { source } => {
                let data = std::fs::read(root.join(source)).with_context(|| format!("read `{source}`"))?;
                let data = edit(source, data)?;
                if let Some(reason) = refused_content(&data) {
                    bail!("refusing to publish `{source}`: it {reason}");
                }
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(data.len() as u64);
                tar.append_data(&mut header, &entry.name, data.as_slice())?;
            }
            EntryKind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                tar.append_data(&mut header, format!("{}/", entry.name), std::io::empty())?;
            }
            EntryKind::Symlink { target } => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                tar.append_link(&mut header, &entry.name, target)?;
            }
        }
    }
    let gz = tar.into_inner()?;
    let mut writer = gz.finish()?;
    writer.flush()?;
    writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}
