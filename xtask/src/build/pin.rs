//! Pinning image references in Compose files: `{registry}/{name}:{tag}` for an image this
//! release pushes under that tag becomes `{registry}/{name}@{digest}`, in place, so the rest of
//! the file keeps its formatting. A reference under the configured registry base is rewritten to
//! where the image was actually pushed (`LAMINA_REGISTRY` may point elsewhere).

use crate::reference::{foreign_tags, replace_whole};

/// One image of the release: where it is pushed, the other names files may use for it, the tags
/// it is pushed under, its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub repository: String,
    /// `{registry.base}/{name}` when the registry is overridden.
    pub aliases: Vec<String>,
    pub tags: Vec<String>,
    pub digest: String,
}

impl Pinned {
    fn names(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.repository).chain(&self.aliases)
    }
}

/// `text` with every reference to one of `images` under one of its tags replaced by its digest.
pub fn pin(text: &str, images: &[Pinned]) -> String {
    let mut out = text.to_owned();
    for image in images {
        let to = format!("{}@{}", image.repository, image.digest);
        for name in image.names() {
            for tag in &image.tags {
                out = replace_whole(&out, &format!("{name}:{tag}"), &to);
            }
        }
    }
    out
}

/// [`pin`], then an error when `file` still names one of the images by a tag: a pinned bundle
/// must never point at a tag this release did not resolve.
pub fn pin_all(file: &str, text: &str, images: &[Pinned]) -> anyhow::Result<String> {
    let out = pin(text, images);
    let any_tag: Vec<(String, Vec<String>)> =
        images.iter().flat_map(|i| i.names().map(|n| (n.clone(), Vec::new()))).collect();
    if let Some((line, reference)) = foreign_tags(&out, &any_tag).into_iter().next() {
        let repository = reference.rsplit_once(':').map_or(reference.as_str(), |(r, _)| r);
        let tags = images.iter().find(|i| i.names().any(|n| n == repository)).map(|i| i.tags.join(", "));
        return Err(lamina_remote::hint::fail(
            format!("{file}:{line}: `{reference}` is still a tag after pinning this release's images"),
            format!(
                "name the image by one of the tags this release pushes ({}), so it is pinned to its digest",
                tags.unwrap_or_default()
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image() -> Pinned {
        Pinned {
            repository: "ghcr.io/acme/hello".into(),
            aliases: Vec::new(),
            tags: vec!["0.2.0".into(), "latest".into()],
            digest: "sha256:abc".into(),
        }
    }

    #[test]
    fn pins_whole_references_only() {
        let text = "services:\n  a:\n    image: ghcr.io/acme/hello:0.2.0 # pinned\n  b:\n    image: \"ghcr.io/acme/hello:latest\"\n  c:\n    image: ghcr.io/acme/hello:0.2.0-rc.1\n  d:\n    image: mirror.io/ghcr.io/acme/hello:0.2.0\n  e:\n    image: ghcr.io/acme/hello-world:0.2.0\n";
        let out = pin(text, &[image()]);
        assert!(out.contains("image: ghcr.io/acme/hello@sha256:abc # pinned"));
        assert!(out.contains("image: \"ghcr.io/acme/hello@sha256:abc\""));
        assert!(out.contains("ghcr.io/acme/hello:0.2.0-rc.1"), "a longer tag is another tag");
        assert!(out.contains("mirror.io/ghcr.io/acme/hello:0.2.0"), "inside another name");
        assert!(out.contains("ghcr.io/acme/hello-world:0.2.0"), "another image");
    }

    #[test]
    fn an_overridden_registry_pins_the_configured_name_to_where_the_image_went() {
        let moved = Pinned {
            repository: "127.0.0.1:5000/fork/hello".into(),
            aliases: vec!["ghcr.io/acme/hello".into()],
            ..image()
        };
        let out = pin_all("compose.yaml", "image: ghcr.io/acme/hello:0.2.0\n", std::slice::from_ref(&moved)).unwrap();
        assert_eq!(out, "image: 127.0.0.1:5000/fork/hello@sha256:abc\n");
        let left = pin_all("compose.yaml", "a: x\nimage: ghcr.io/acme/hello:0.1.9\n", &[moved]).unwrap_err();
        assert!(format!("{left}").starts_with("compose.yaml:2: `ghcr.io/acme/hello:0.1.9` is still a tag"), "{left}");
    }
}
