//! The keys `release.toml` accepts: one table per section, the single source for checks and docs.

/// The type a key's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Bool,
    StrList,
}

/// One key of a section.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// A valid value, shown in the fix of a missing or mistyped key.
    pub example: &'static str,
}

/// `[name]` (one table) or `[[name]]` (`many`).
#[derive(Debug)]
pub struct Section {
    pub name: &'static str,
    pub header: &'static str,
    pub many: bool,
    pub required: bool,
    pub fields: &'static [Field],
}

const fn field(key: &'static str, kind: Kind, required: bool, example: &'static str) -> Field {
    Field { key, kind, required, example }
}

use Kind::*;

/// Sections in the order `parse` reads them.
pub const SECTIONS: &[Section] = &[
    Section {
        name: "release",
        header: "[release]",
        many: false,
        required: true,
        fields: &[
            field("version", Str, true, "\"0.3.0\""),
            field("repository", Str, true, "\"lamina-os/lamina-infra\""),
            field("notes", Str, false, "\"CHANGELOG.md\""),
            field("make-latest", Bool, false, "true"),
        ],
    },
    Section {
        name: "registry",
        header: "[registry]",
        many: false,
        required: true,
        fields: &[field("base", Str, true, "\"ghcr.io/lamina-os\"")],
    },
    Section {
        name: "pages",
        header: "[pages]",
        many: false,
        required: false,
        fields: &[
            field("branch", Str, false, "\"gh-pages\""),
            field("url", Str, false, "\"https://lamina-os.github.io/lamina-infra\""),
            field("terraform-registry", Str, false, "\"lamina-os/kubernetes\""),
        ],
    },
    Section {
        name: "chart",
        header: "[[chart]]",
        many: true,
        required: false,
        fields: &[
            field("path", Str, true, "\"charts/lamina-core\""),
            field("oci", Bool, false, "true"),
            field("allow", StrList, false, "[\"charts/lamina-core/files/example.pem\"]"),
        ],
    },
    Section {
        name: "image",
        header: "[[image]]",
        many: true,
        required: false,
        fields: &[
            field("name", Str, true, "\"lamina-core\""),
            field("context", Str, false, "\"docker/lamina-core\""),
            field("dockerfile", Str, false, "\"docker/lamina-core/Dockerfile\""),
            field("platforms", StrList, false, "[\"linux/amd64\", \"linux/arm64\"]"),
            field("builder", Str, false, "\"buildah\""),
            field("input", Str, false, "\"target/images/lamina-core.oci.tar\""),
        ],
    },
    Section {
        name: "bundle",
        header: "[[bundle]]",
        many: true,
        required: false,
        fields: &[
            field("name", Str, true, "\"lamina-k8s\""),
            field("kind", Str, true, "\"manifests\""),
            field("path", Str, true, "\"infra/k8s\""),
            field("allow", StrList, false, "[\"infra/k8s/example.env\"]"),
            field("pin-images", Bool, false, "true"),
        ],
    },
    Section {
        name: "package",
        header: "[[package]]",
        many: true,
        required: false,
        fields: &[
            field("name", Str, true, "\"lamina-infra\""),
            field("path", Str, true, "\"packages/lamina-infra\""),
            field("wheel", Bool, false, "true"),
            field("completions", Bool, false, "true"),
            field("man", Bool, false, "true"),
            field("targets", StrList, false, "[\"x86_64-unknown-linux-gnu\", \"aarch64-apple-darwin\"]"),
        ],
    },
    Section {
        name: "python-index",
        header: "[python-index]",
        many: false,
        required: false,
        fields: &[
            field("upload-url", Str, true, "\"https://upload.pypi.org/legacy/\""),
            field("simple-url", Str, true, "\"https://pypi.org/simple/\""),
            field("trusted-publishing", Bool, false, "true"),
            field("token-exchange-url", Str, false, "\"https://pypi.org\""),
        ],
    },
    Section {
        name: "signing",
        header: "[signing]",
        many: false,
        required: false,
        fields: &[field("required", Bool, false, "true")],
    },
];
