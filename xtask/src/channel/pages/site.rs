//! The catalog on the Pages branch: a front page and one page per release, generated from the
//! release manifests kept on the branch and `index.yaml`, with Terraform's module pages and, where
//! the site is a host root, a static module registry (`site/terraform.rs`). Pure: manifests and
//! the index in, files out. Every text is escaped by the template engine (minijinja's HTML
//! auto-escaping), never pasted.

mod terraform;
mod view;

use crate::config::TerraformRegistry;
use crate::helm::index::Index;
use crate::manifest::ReleaseManifest;
use anyhow::Context;
use minijinja::{Environment, Value};

/// Where each release's manifest is kept on the branch; the catalog is rebuilt from these.
pub const MANIFESTS: &str = "releases";

/// The manifest of release `version` on the branch.
pub fn manifest_path(version: &str) -> String {
    format!("{MANIFESTS}/{version}/release-manifest.json")
}

/// What the site is and where its links point.
pub struct Site<'a> {
    /// The public URL of the site, without a trailing slash.
    pub url: &'a str,
    /// GitHub's web root, for release asset URLs.
    pub server_url: &'a str,
    /// The GitHub repository whose releases the catalog shows (`owner/name`).
    pub repository: &'a str,
    /// Set when the site also serves the module registry protocol.
    pub registry: Option<&'a TerraformRegistry>,
}

/// One file of the site: its path on the branch and its bytes.
pub type File = (String, Vec<u8>);

impl Site<'_> {
    /// The files a change writes: the front page and its assets (from every release in
    /// `releases`), and the pages of `new` (its release page, its kept manifest, its module
    /// pages and registry answers). Earlier releases' own pages are left as they were written.
    pub fn files(
        &self,
        index: &Index,
        releases: &[ReleaseManifest],
        new: Option<&ReleaseManifest>,
    ) -> anyhow::Result<Vec<File>> {
        let env = environment();
        // The new release's own manifest wins over one kept on the branch under its version.
        let mut all: Vec<&ReleaseManifest> =
            releases.iter().filter(|r| new.is_none_or(|n| n.version != r.version)).collect();
        all.extend(new);
        view::newest_first(&mut all);
        let views: Vec<view::Release> = all.iter().map(|r| view::Release::of(self, r, index)).collect();
        let charts = view::charts(index);
        let mut out = vec![
            page(
                &env,
                "index.html",
                "index.html",
                minijinja::context! {
                    site => self.url, latest => data(views.first()), releases => data(&views), charts => data(&charts), root => "",
                },
            )?,
            ("assets/catalog.css".to_owned(), include_bytes!("site/catalog.css").to_vec()),
            ("assets/catalog.js".to_owned(), include_bytes!("site/catalog.js").to_vec()),
        ];
        if let Some(new) = new {
            let view = views.iter().find(|v| v.version == new.version).context("the new release is in the list")?;
            self.check_modules(view)?;
            out.push(page(
                &env,
                "release.html",
                &format!("{MANIFESTS}/{}/index.html", new.version),
                minijinja::context! {
                    site => self.url, release => data(view), root => up(2),
                },
            )?);
            let json = serde_json::to_vec_pretty(new).context("serialise the release manifest")?;
            out.push((manifest_path(&new.version), json));
            for module in &view.modules {
                out.push(page(
                    &env,
                    "module.html",
                    &format!("{}/index.html", module.page),
                    minijinja::context! {
                        site => self.url, release => data(view), module => data(module), root => up(3),
                    },
                )?);
            }
        }
        out.extend(terraform::registry(self, &views)?);
        Ok(out)
    }
}

impl Site<'_> {
    /// Each module of a release has a name of its own, usable in a URL path (and in the
    /// registry's addresses).
    fn check_modules(&self, release: &view::Release) -> anyhow::Result<()> {
        let mut seen: Vec<&view::Module> = Vec::new();
        for module in &release.modules {
            if let Some(other) = seen.iter().find(|m| m.name == module.name) {
                return Err(lamina_remote::hint::fail(
                    format!(
                        "the Terraform modules `{}` of `{}` and `{}` of `{}` would both be published as `{}`",
                        other.folder, other.bundle, module.folder, module.bundle, module.name
                    ),
                    "the catalog names a module after its folder: rename one of the folders",
                ));
            }
            if !is_module_name(&module.name) {
                return Err(lamina_remote::hint::fail(
                    format!(
                        "the Terraform module folder `{}` of `{}` is not a name the catalog can publish",
                        module.folder, module.bundle
                    ),
                    "name module folders with letters, digits, `-` and `_`, starting and ending with a letter or digit",
                ));
            }
            seen.push(module);
        }
        Ok(())
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder().trim_blocks(true).lstrip_blocks(true).build();
    env.set_syntax(syntax.expect("the catalog's template syntax is valid"));
    // HTML-escape what is not marked safe, as minijinja does, but leave `/` as it is so the
    // pages' source stays readable.
    env.set_formatter(|out, state, value| {
        if *state.auto_escape() == minijinja::AutoEscape::Html && !value.is_safe() && !value.is_none() {
            return out.write_str(&escape_html(&value.to_string())).map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    for (name, text) in [
        ("base.html", include_str!("site/base.html")),
        ("index.html", include_str!("site/index.html")),
        ("release.html", include_str!("site/release.html")),
        ("release_body.html", include_str!("site/release_body.html")),
        ("module.html", include_str!("site/module.html")),
    ] {
        env.add_template(name, text).expect("the catalog's templates parse");
    }
    env
}

/// A module name the registry protocol accepts: letters, digits, `-` and `_`, starting and
/// ending with a letter or digit, at most 64 characters.
fn is_module_name(name: &str) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    name.len() <= 64
        && edge(name.chars().next())
        && edge(name.chars().last())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `text` with `& < > " '` replaced by character references.
fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// The way from a page `depth` folders down back to the site's root.
fn up(depth: usize) -> String {
    std::iter::repeat_n("..", depth).map(|up| format!("{up}/")).collect()
}

/// A value the templates read, from anything serde serialises.
fn data(value: impl serde::Serialize) -> Value {
    Value::from(minijinja::value::Serde(value))
}

fn page(env: &Environment, template: &str, path: &str, context: Value) -> anyhow::Result<File> {
    let text = env
        .get_template(template)
        .and_then(|t| t.render(context))
        .with_context(|| format!("render the catalog page `{path}`"))?;
    Ok((path.to_owned(), text.into_bytes()))
}

#[cfg(test)]
mod tests;
