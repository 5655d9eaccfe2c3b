//! OCI image layouts as builders write them: `index.json` (with or without `mediaType`) naming
//! one image, which may be an index (OCI or Docker manifest list, possibly nested, possibly with
//! attestation manifests) or a single manifest. Every document and blob is checked against its
//! digest while reading, and the graph comes out in push order: blobs, then children before the
//! parents that name them. Documents are read through the shared layout reader
//! ([`lamina_remote::layout`], oci-spec types); the ones this module writes (annotated, joined,
//! converted from `docker save`) are built as JSON values, whose serialisation fixes the bytes
//! and so the digests a rebuild must reproduce.

use anyhow::{Context, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};

use lamina_remote::layout::Layout;
pub use lamina_remote::registry::{DOCKER_LIST, DOCKER_MANIFEST, Manifest, OCI_INDEX, OCI_MANIFEST};

/// One image, read from a layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub dir: PathBuf,
    /// The top document: what tags point at.
    pub root: Manifest,
    /// Every manifest and index below the root, children before parents.
    pub children: Vec<Manifest>,
    /// Every config and layer blob, each once.
    pub blobs: Vec<Blob>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub digest: String,
    pub size: u64,
}

impl Image {
    /// Path of a blob inside the layout.
    pub fn blob_path(&self, digest: &str) -> PathBuf {
        blob_path(&self.dir, digest)
    }
}

/// Reads the one image a layout's `index.json` names, with every blob checked against its digest.
pub fn read(dir: &Path) -> anyhow::Result<Image> {
    let layout = Layout::new(dir.to_path_buf());
    let entries = layout.index()?;
    let [top] = entries.as_slice() else {
        bail!(
            "`{}` names {} images; a layout for one image names exactly one",
            dir.join("index.json").display(),
            entries.len()
        );
    };
    let walk = layout.walk(std::slice::from_ref(top));
    if let Some(problem) = walk.problems.first() {
        return Err(lamina_remote::hint::fail(
            format!("`{}`: {problem}", dir.display()),
            "the layout is damaged; make it again",
        ));
    }
    let mut children = walk.manifests;
    let root = children.pop().filter(|m| m.digest == top.digest).with_context(|| {
        format!(
            "`{}` holds a document of type `{}`, which is not an image manifest or index",
            dir.display(),
            top.media_type
        )
    })?;
    let blobs = walk.blobs.into_iter().map(|b| Blob { digest: b.digest, size: b.size }).collect();
    Ok(Image { dir: dir.to_path_buf(), root, children, blobs })
}

fn blob_path(dir: &Path, digest: &str) -> PathBuf {
    let (algorithm, hex) = digest.split_once(':').unwrap_or(("sha256", digest));
    dir.join("blobs").join(algorithm).join(hex)
}

/// Adds `annotations` to every OCI manifest and index of the layout's image (keeping the ones
/// already there unless named again), rewrites the documents that change and the descriptors
/// that point at them, and returns the new root digest. Docker-typed documents have no
/// annotations and are left as they are. The same layout and annotations give the same digests.
pub fn annotate(dir: &Path, annotations: &std::collections::BTreeMap<String, String>) -> anyhow::Result<String> {
    let index_path = dir.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path)?)?;
    let Some([top]) = index["manifests"].as_array_mut().map(Vec::as_mut_slice) else {
        bail!("`{}` must name exactly one image", index_path.display());
    };
    rewrite(dir, top, annotations, 0)?;
    let root = top["digest"].as_str().unwrap_or_default().to_owned();
    std::fs::write(&index_path, serde_json::to_vec(&index)?)?;
    Ok(root)
}

/// Annotates the document `descriptor` names (children first) and updates the descriptor.
fn rewrite(
    dir: &Path,
    descriptor: &mut Value,
    annotations: &std::collections::BTreeMap<String, String>,
    depth: usize,
) -> anyhow::Result<()> {
    if depth > 4 {
        bail!("image indexes in `{}` are nested more than four deep", dir.display());
    }
    let digest = descriptor["digest"].as_str().context("a descriptor has no digest")?.to_owned();
    let mut doc: Value = serde_json::from_slice(&Layout::new(dir.to_path_buf()).read_blob(&digest)?)?;
    let media_type = descriptor["mediaType"].as_str().or_else(|| doc["mediaType"].as_str()).map(str::to_owned);
    let media_type = media_type
        .unwrap_or_else(|| if doc.get("manifests").is_some() { OCI_INDEX.to_owned() } else { OCI_MANIFEST.to_owned() });
    match media_type.as_str() {
        OCI_INDEX => {
            for child in doc["manifests"].as_array_mut().into_iter().flatten() {
                // Attestation manifests describe another manifest; they keep their own annotations.
                if child["annotations"].get("vnd.docker.reference.type").is_none() {
                    rewrite(dir, child, annotations, depth + 1)?;
                }
            }
        }
        OCI_MANIFEST => {}
        _ => return Ok(()),
    }
    if !doc["annotations"].is_object() {
        doc["annotations"] = Value::Object(Default::default());
    }
    for (k, v) in annotations {
        doc["annotations"][k] = Value::String(v.clone());
    }
    let bytes = serde_json::to_vec(&doc)?;
    let new_digest = lamina_remote::digest::sha256(&bytes);
    std::fs::write(blob_path(dir, &new_digest), &bytes)?;
    descriptor["digest"] = Value::String(new_digest);
    descriptor["size"] = Value::from(bytes.len());
    descriptor["mediaType"] = Value::String(media_type);
    Ok(())
}

/// Copies a prebuilt image into an OCI layout at `dest`: from an OCI layout folder, an OCI
/// layout in a tar (`oci-archive`), or a `docker save` archive (converted to an OCI manifest
/// with the layers as they are, compressed or not).
pub fn import(input: &Path, dest: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dest)?;
    if input.is_dir() {
        if !input.join("index.json").exists() {
            bail!("`{}` is a folder without `index.json`: not an OCI image layout", input.display());
        }
        for entry in walkdir::WalkDir::new(input) {
            let entry = entry?;
            let target = dest.join(entry.path().strip_prefix(input)?);
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target)?;
            } else if entry.file_type().is_file() {
                std::fs::copy(entry.path(), &target)?;
            }
        }
        return Ok(());
    }
    let unpacked = tempfile::tempdir()?;
    let file = std::fs::File::open(input).with_context(|| format!("open `{}`", input.display()))?;
    // `unpack` refuses entries that would land outside the folder.
    tar::Archive::new(file)
        .unpack(unpacked.path())
        .with_context(|| format!("`{}` is not a tar archive", input.display()))?;
    if unpacked.path().join("index.json").exists() {
        return import(unpacked.path(), dest);
    }
    if unpacked.path().join("manifest.json").exists() {
        return from_docker_save(unpacked.path(), dest)
            .with_context(|| format!("read the `docker save` archive `{}`", input.display()));
    }
    bail!(
        "`{}` holds neither `index.json` (an OCI layout) nor `manifest.json` (a `docker save` archive)",
        input.display()
    )
}

/// An OCI layout from the contents of a `docker save` archive with one image.
fn from_docker_save(dir: &Path, dest: &Path) -> anyhow::Result<()> {
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json"))?)?;
    let images = manifest.as_array().map(Vec::as_slice).unwrap_or_default();
    let [image] = images else { bail!("it holds {} images; save exactly one", images.len()) };
    let blobs = dest.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let store = |rel: &str| -> anyhow::Result<(String, u64, bool)> {
        let path = dir.join(rel);
        let (hex, size) = lamina_remote::digest::sha256_file(&path).with_context(|| format!("read `{rel}`"))?;
        let mut magic = [0u8; 2];
        let gzip = std::io::Read::read(&mut std::fs::File::open(&path)?, &mut magic)? == 2 && magic == [0x1f, 0x8b];
        std::fs::copy(&path, blobs.join(&hex))?;
        Ok((format!("sha256:{hex}"), size, gzip))
    };
    let (config_digest, config_size, _) = store(image["Config"].as_str().context("no `Config`")?)?;
    let mut layers = Vec::new();
    for layer in image["Layers"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let (digest, size, gzip) = store(layer.as_str().context("a layer without a path")?)?;
        let media_type =
            if gzip { "application/vnd.oci.image.layer.v1.tar+gzip" } else { "application/vnd.oci.image.layer.v1.tar" };
        layers.push(serde_json::json!({"mediaType": media_type, "digest": digest, "size": size}));
    }
    let doc = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
        "layers": layers,
    });
    let bytes = serde_json::to_vec(&doc)?;
    let digest = lamina_remote::digest::sha256(&bytes);
    std::fs::write(blob_path(dest, &digest), &bytes)?;
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": OCI_MANIFEST, "digest": digest, "size": bytes.len()}]});
    std::fs::write(dest.join("index.json"), serde_json::to_vec(&index)?)?;
    std::fs::write(dest.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(())
}

/// Joins one-platform images into one image at `dest`: an OCI index naming each part's platform
/// manifest (given by digest), in order, with their blobs copied. The index keeps the first
/// part's own index fields (its annotations), so joining the per-platform builds of one image
/// gives the index a one-machine build of every platform gives.
pub fn join(parts: &[(PathBuf, String)], dest: &Path) -> anyhow::Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest)?;
    }
    std::fs::create_dir_all(dest.join("blobs/sha256"))?;
    let mut top: Option<(Value, Value)> = None;
    let mut descriptors = Vec::new();
    for (dir, digest) in parts {
        let image = read(dir)?;
        let found = std::iter::once(&image.root).chain(&image.children).find(|d| &d.digest == digest);
        let manifest = found.with_context(|| format!("`{}` holds no manifest {digest}", dir.display()))?;
        let doc: Value = serde_json::from_slice(&manifest.bytes)?;
        let layers = doc["layers"].as_array().map(Vec::as_slice).unwrap_or_default();
        for blob in std::iter::once(&doc["config"]).chain(layers) {
            let blob = blob["digest"].as_str().context("a blob without a digest")?;
            copy_blob(dir, dest, blob)?;
        }
        copy_blob(dir, dest, digest)?;
        let layout_index: Value = serde_json::from_slice(&std::fs::read(dir.join("index.json"))?)?;
        let descriptor = match image.root.digest == *digest {
            // A one-platform manifest at the root: its descriptor, with the config's platform.
            true => {
                let mut d = layout_index["manifests"][0].clone();
                let config: Value = serde_json::from_slice(&std::fs::read(blob_path(
                    dir,
                    doc["config"]["digest"].as_str().unwrap_or_default(),
                ))?)?;
                let mut platform = serde_json::json!({"architecture": config["architecture"], "os": config["os"]});
                if let Some(variant) = config["variant"].as_str() {
                    platform["variant"] = Value::from(variant);
                }
                d["platform"] = platform;
                d["mediaType"] = Value::from(manifest.media_type.as_str());
                d
            }
            false => {
                let root: Value = serde_json::from_slice(&image.root.bytes)?;
                let children = root["manifests"].as_array().map(Vec::as_slice).unwrap_or_default();
                children
                    .iter()
                    .find(|c| c["digest"].as_str() == Some(digest))
                    .cloned()
                    .with_context(|| format!("the index of `{}` does not name {digest} directly", dir.display()))?
            }
        };
        descriptors.push(descriptor);
        if top.is_none() {
            let index = match serde_json::from_slice::<Value>(&image.root.bytes)? {
                root if root.get("manifests").is_some() => root,
                _ => serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX}),
            };
            top = Some((layout_index, index));
        }
    }
    let (mut layout_index, mut index) = top.context("no image to join")?;
    index["manifests"] = Value::Array(descriptors);
    let bytes = serde_json::to_vec(&index)?;
    let digest = lamina_remote::digest::sha256(&bytes);
    std::fs::write(blob_path(dest, &digest), &bytes)?;
    let entry = &mut layout_index["manifests"][0];
    entry["mediaType"] = Value::from(OCI_INDEX);
    entry["digest"] = Value::from(digest);
    entry["size"] = Value::from(bytes.len());
    std::fs::write(dest.join("index.json"), serde_json::to_vec(&layout_index)?)?;
    std::fs::write(dest.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(())
}

fn copy_blob(from: &Path, to: &Path, digest: &str) -> anyhow::Result<()> {
    let target = blob_path(to, digest);
    if !target.exists() {
        std::fs::copy(blob_path(from, digest), &target).with_context(|| format!("copy blob {digest}"))?;
    }
    Ok(())
}
