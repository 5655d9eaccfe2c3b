//! The walk over a parsed `release.toml`: every table checked against [`super::schema`],
//! values turned into [`super::ReleaseConfig`] parts, every problem recorded with its line.

use super::schema::{self, Kind, Section};
use super::*;
use toml_edit::{Item, Table, Value};

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) diags: Diagnostics,
}

/// A checked table: its fields, looked up by key, with the line of each.
struct Fields<'t> {
    table: &'t Table,
    line: usize,
}

impl<'a> Parser<'a> {
    /// Line of a span's first character that is not whitespace (table spans start with the
    /// blank lines before their header).
    fn line(&self, span: Option<std::ops::Range<usize>>) -> Option<usize> {
        let start = span?.start;
        let skipped = self.text.get(start..).map_or(0, |rest| rest.len() - rest.trim_start().len());
        Some(line_of(self.text, start + skipped))
    }

    fn error(&mut self, line: Option<usize>, message: String, help: impl Into<String>) {
        self.diags.push(Diagnostic::new(FILE, line, message).help(help));
    }

    pub(super) fn document(&mut self, root: &Table) -> Option<ReleaseConfig> {
        self.unknown_keys(root, "", &schema::SECTIONS.iter().map(|s| s.name).collect::<Vec<_>>());
        let mut tables = Vec::new();
        for section in schema::SECTIONS {
            tables.push(self.section(root, section));
        }
        let [release, registry, pages, charts, images, bundles, packages, python, signing] = tables.try_into().ok()?;
        let release = release.into_iter().next();
        let registry = registry.into_iter().next();
        let pages = pages.into_iter().next();

        let version = release.as_ref().and_then(|r| self.version(r));
        let repository = release.as_ref().and_then(|r| self.repository(r));
        let notes = release.as_ref().map(|r| self.path(r, "notes")).unwrap_or(None);
        let make_latest = release.as_ref().and_then(|r| self.bool(r, "make-latest")).unwrap_or(true);
        let registry_base = registry.as_ref().and_then(|r| self.registry(r));
        let pages_branch = pages.as_ref().and_then(|p| self.string(p, "branch"));
        let pages_url = pages.as_ref().and_then(|p| self.url(p, "url"));
        let terraform_registry = pages.as_ref().and_then(|p| self.terraform_registry(p));
        if let (Some(p), Some(_)) = (&pages, &terraform_registry)
            && !pages_url.as_deref().is_some_and(paths::is_host_root)
        {
            let line = self.key_line(p, "terraform-registry");
            let url = pages_url.as_deref().unwrap_or("https://{owner}.github.io/{repo}, the default,");
            self.error(
                line,
                format!("pages.terraform-registry needs the site at a host root, and pages.url {url} is not one"),
                "set pages.url to an organisation site or a custom domain (`https://infra.example.org`), or remove pages.terraform-registry (the module pages work at any URL)",
            );
        }

        let charts: Vec<_> = charts.iter().filter_map(|t| self.chart(t)).collect();
        let images: Vec<_> = images.iter().filter_map(|t| self.image(t)).collect();
        let bundles: Vec<_> = bundles.iter().filter_map(|t| self.bundle(t)).collect();
        let packages: Vec<_> = packages.iter().filter_map(|t| self.package(t)).collect();
        self.duplicates(&charts, &images, &bundles, &packages);
        let python_index = python.first().and_then(|t| self.python_index(t));
        let signing_enabled = !signing.is_empty();
        let signing_required = signing.first().and_then(|t| self.bool(t, "required")).unwrap_or(false);

        let lines = Lines {
            version: release.as_ref().map_or(1, |r| self.key_line(r, "version").unwrap_or(r.line)),
            notes: release.as_ref().map_or(1, |r| self.key_line(r, "notes").unwrap_or(r.line)),
        };
        Some(ReleaseConfig {
            version: version?,
            repository: repository?,
            notes: notes.unwrap_or_else(|| "CHANGELOG.md".to_owned()),
            make_latest,
            registry: registry_base?,
            pages_branch: pages_branch.unwrap_or_else(|| "gh-pages".to_owned()),
            pages_url,
            terraform_registry,
            charts,
            images,
            bundles,
            packages,
            python_index,
            signing_enabled,
            signing_required,
            lines,
        })
    }

    /// The tables of one section: one for `[name]` (or none when absent), any number for `[[name]]`.
    fn section<'t>(&mut self, root: &'t Table, section: &Section) -> Vec<Fields<'t>> {
        let Some(item) = root.get(section.name) else {
            if section.required {
                self.error(
                    Some(1),
                    format!("missing section [{}]", section.name),
                    format!("add a [{}] table; see docs/release-toml.md", section.name),
                );
            }
            return Vec::new();
        };
        let line = self.line(root.key(section.name).and_then(|k| k.span())).or(Some(1));
        let tables: Vec<&Table> = match (section.many, item) {
            (false, Item::Table(t)) => vec![t],
            (true, Item::ArrayOfTables(a)) => a.iter().collect(),
            (false, _) => {
                self.error(
                    line,
                    format!("`{}` must be a table", section.name),
                    format!("write it as [{}]", section.name),
                );
                return Vec::new();
            }
            (true, _) => {
                self.error(
                    line,
                    format!("`{}` must be an array of tables", section.name),
                    format!("write each entry as [[{}]]", section.name),
                );
                return Vec::new();
            }
        };
        tables
            .into_iter()
            .map(|table| {
                let header = self.line(table.span()).or(line).unwrap_or(1);
                self.fields(table, section, header);
                Fields { table, line: header }
            })
            .collect()
    }

    /// Reports unknown keys, missing required keys and values of the wrong type.
    fn fields(&mut self, table: &Table, section: &Section, header: usize) {
        let known: Vec<&str> = section.fields.iter().map(|f| f.key).collect();
        self.unknown_keys(table, section.header(), &known);
        for field in section.fields {
            match table.get(field.key) {
                None if field.required => self.error(
                    Some(header),
                    format!("missing key `{}` in {}", field.key, section.header()),
                    format!("add `{} = {}`", field.key, field.example),
                ),
                None => {}
                Some(item) if !field.kind.matches(item) => {
                    let line = self.line(item.span()).or(Some(header));
                    self.error(
                        line,
                        format!("`{}` in {} must be {}", field.key, section.header(), field.kind.describe()),
                        format!("write `{} = {}`", field.key, field.example),
                    );
                }
                Some(_) => {}
            }
        }
    }

    fn unknown_keys(&mut self, table: &Table, header: &str, known: &[&str]) {
        for (key, _) in table.iter() {
            if known.contains(&key) {
                continue;
            }
            let line = self.line(table.key(key).and_then(|k| k.span()));
            let place = if header.is_empty() { "at the top level".to_owned() } else { format!("in {header}") };
            let help = match nearest(key, known) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("valid keys {place}: {}", known.join(", ")),
            };
            self.error(line, format!("unknown key `{key}` {place}"), help);
        }
    }

    fn key_line(&self, f: &Fields, key: &str) -> Option<usize> {
        let span = f.table.get(key).and_then(|i| i.span());
        self.line(span)
    }

    fn value<'t>(&self, f: &Fields<'t>, key: &str) -> Option<(&'t Value, usize)> {
        let value = f.table.get(key)?.as_value()?;
        Some((value, self.line(value.span()).unwrap_or(f.line)))
    }

    fn string(&self, f: &Fields, key: &str) -> Option<String> {
        self.value(f, key).and_then(|(v, _)| v.as_str().map(str::to_owned))
    }

    fn bool(&self, f: &Fields, key: &str) -> Option<bool> {
        self.value(f, key).and_then(|(v, _)| v.as_bool())
    }

    fn strings(&self, f: &Fields, key: &str) -> Vec<(String, usize)> {
        let Some((Value::Array(array), line)) = self.value(f, key) else {
            return Vec::new();
        };
        array.iter().filter_map(|v| Some((v.as_str()?.to_owned(), self.line(v.span()).unwrap_or(line)))).collect()
    }

    fn version(&mut self, f: &Fields) -> Option<semver::Version> {
        let (value, line) = self.value(f, "version")?;
        let text = value.as_str()?;
        match semver::Version::parse(text) {
            Ok(v) => Some(v),
            Err(e) => {
                let hint = text.strip_prefix('v').filter(|t| semver::Version::parse(t).is_ok());
                let help = match hint {
                    Some(t) => format!("drop the `v`: the tag adds it; write `version = \"{t}\"`"),
                    None => "use a strict SemVer 2 version such as \"1.2.3\" or \"1.2.3-rc.1\"".to_owned(),
                };
                self.error(Some(line), format!("release.version `{text}` is not SemVer 2: {e}"), help);
                None
            }
        }
    }

    fn repository(&mut self, f: &Fields) -> Option<String> {
        let (value, line) = self.value(f, "repository")?;
        let text = value.as_str()?;
        let ok = text.split('/').count() == 2
            && text
                .split('/')
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        if !ok {
            self.error(
                Some(line),
                format!("release.repository `{text}` is not `owner/repo`"),
                "write the GitHub repository as `owner/repo`, e.g. \"lamina-os/lamina-infra\"",
            );
            return None;
        }
        Some(text.to_owned())
    }

    fn registry(&mut self, f: &Fields) -> Option<String> {
        let (value, line) = self.value(f, "base")?;
        let text = value.as_str()?;
        match parse_registry_base(text) {
            Ok(_) => Some(text.trim_end_matches('/').to_owned()),
            Err(e) => {
                self.error(
                    Some(line),
                    format!("registry.base: {e}"),
                    "write it as `host/namespace`, e.g. \"ghcr.io/lamina-os\"",
                );
                None
            }
        }
    }

    fn url(&mut self, f: &Fields, key: &str) -> Option<String> {
        let (value, line) = self.value(f, key)?;
        let text = value.as_str()?;
        if !(text.starts_with("https://") || text.starts_with("http://")) {
            self.error(
                Some(line),
                format!("pages.{key} `{text}` is not an http(s) URL"),
                "write the site's address, e.g. \"https://lamina-os.github.io/lamina-infra\"",
            );
            return None;
        }
        Some(text.trim_end_matches('/').to_owned())
    }

    /// `pages.terraform-registry`: `NAMESPACE/SYSTEM` of the module registry the site serves.
    fn terraform_registry(&mut self, f: &Fields) -> Option<TerraformRegistry> {
        let (value, line) = self.value(f, "terraform-registry")?;
        let text = value.as_str()?;
        let part = |p: &str| {
            p.len() <= 64
                && p.starts_with(|c: char| c.is_ascii_alphanumeric())
                && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        };
        match text.split_once('/') {
            Some((namespace, system))
                if part(namespace)
                    && part(system)
                    && system.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) =>
            {
                Some(TerraformRegistry { namespace: namespace.to_owned(), system: system.to_owned() })
            }
            _ => {
                self.error(
                    Some(line),
                    format!("pages.terraform-registry `{text}` is not `NAMESPACE/SYSTEM`"),
                    "write the registry namespace and the modules' target system, e.g. \"lamina-os/kubernetes\" (letters, digits, `-` and `_`; the system in lowercase)",
                );
                None
            }
        }
    }

    /// A repository-relative path; absolute paths and paths leaving the repository are errors.
    fn path(&mut self, f: &Fields, key: &str) -> Option<String> {
        let (value, line) = self.value(f, key)?;
        self.check_path(value.as_str()?, key, line)
    }

    fn check_path(&mut self, text: &str, key: &str, line: usize) -> Option<String> {
        match normalize_path(text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.error(Some(line), format!("`{key}` {e}"), "use a path relative to the repository root, inside it");
                None
            }
        }
    }

    fn allow(&mut self, f: &Fields) -> Vec<String> {
        self.strings(f, "allow").into_iter().filter_map(|(p, line)| self.check_path(&p, "allow", line)).collect()
    }

    fn chart(&mut self, f: &Fields) -> Option<ChartConfig> {
        let path = self.path(f, "path");
        let oci = self.bool(f, "oci").unwrap_or(false);
        let allow = self.allow(f);
        Some(ChartConfig { path: path?, oci, allow, line: f.line })
    }

    /// The entry's `name`, checked by `check`; a bad one is reported with `help`.
    fn name(&mut self, f: &Fields, what: &str, check: fn(&str) -> Result<(), String>, help: &str) -> Option<String> {
        let (value, line) = self.value(f, "name")?;
        let name = value.as_str()?;
        if let Err(e) = check(name) {
            self.error(Some(line), format!("{what} name `{name}` {e}"), help);
            return None;
        }
        Some(name.to_owned())
    }

    fn image(&mut self, f: &Fields) -> Option<ImageConfig> {
        let name = self.name(
            f,
            "image",
            paths::check_repository_name,
            "use lowercase letters, digits and single `-`, `.` or `_` between them, e.g. \"lamina-core\"",
        );
        let source = self.image_source(f);
        let mut platforms = Vec::new();
        for (p, line) in self.strings(f, "platforms") {
            if !paths::is_platform(&p) {
                self.error(
                    Some(line),
                    format!("platform `{p}` is not `os/arch` or `os/arch/variant`"),
                    "write platforms like \"linux/amd64\" or \"linux/arm/v7\"",
                );
            } else if platforms.contains(&p) {
                self.error(Some(line), format!("platform `{p}` is listed twice"), "remove the repeated entry");
            } else {
                platforms.push(p);
            }
        }
        if f.table.contains_key("platforms") && platforms.is_empty() && self.strings(f, "platforms").is_empty() {
            self.error(
                Some(f.line),
                "`platforms` is empty".to_owned(),
                "name at least one platform, e.g. [\"linux/amd64\"]",
            );
        }
        if platforms.is_empty() {
            platforms.push("linux/amd64".to_owned());
        }
        Some(ImageConfig { name: name?, source: source?, platforms, line: f.line })
    }

    /// `context` (with `dockerfile`, `builder`) or `input`, never both.
    fn image_source(&mut self, f: &Fields) -> Option<ImageSource> {
        let has = |k: &str| f.table.contains_key(k);
        if has("input") {
            if let Some(key) = ["context", "dockerfile", "builder"].into_iter().find(|k| has(k)) {
                let line = self.key_line(f, key).or(Some(f.line));
                self.error(
                    line,
                    format!("`{key}` and `input` exclude each other"),
                    "an image is either built from a Dockerfile or taken from `input`, not both",
                );
                return None;
            }
            return Some(ImageSource::Prebuilt { input: self.path(f, "input")? });
        }
        if !has("context") {
            self.error(
                Some(f.line),
                "missing key `context` in [[image]]".to_owned(),
                "add `context = \"docker/lamina-core\"`, or `input` for an image built elsewhere",
            );
            return None;
        }
        let context = self.path(f, "context")?;
        let dockerfile = match has("dockerfile") {
            true => self.path(f, "dockerfile")?,
            false => paths::join(&context, "Dockerfile"),
        };
        let builder = match self.value(f, "builder") {
            None => None,
            Some((v, line)) => match v.as_str() {
                Some("buildx") => Some(super::Builder::Buildx),
                Some("buildah") => Some(super::Builder::Buildah),
                other => {
                    let other = other.unwrap_or_default();
                    self.error(Some(line), format!("unknown builder `{other}`"), "use \"buildx\" or \"buildah\"");
                    return None;
                }
            },
        };
        Some(ImageSource::Dockerfile { context, dockerfile, builder })
    }

    fn bundle(&mut self, f: &Fields) -> Option<BundleConfig> {
        let name = self.name(
            f,
            "bundle",
            paths::check_asset_name,
            "use letters, digits, `-`, `_` and `.`, e.g. \"lamina-k8s\"",
        );
        let kind = self.value(f, "kind").and_then(|(v, line)| {
            let kind = v.as_str()?;
            let parsed = match kind {
                "manifests" => BundleKind::Manifests,
                "compose" => BundleKind::Compose,
                "terraform" => BundleKind::Terraform,
                other => {
                    let kinds = ["manifests", "compose", "terraform"];
                    let help = match nearest(other, &kinds) {
                        Some(near) => format!("did you mean \"{near}\"?"),
                        None => "use one of \"manifests\", \"compose\", \"terraform\"".to_owned(),
                    };
                    self.error(Some(line), format!("unknown bundle kind `{other}`"), help);
                    return None;
                }
            };
            Some(parsed)
        });
        let path = self.path(f, "path");
        let allow = self.allow(f);
        let pin_images = self.bool(f, "pin-images").unwrap_or(false);
        if pin_images && kind.is_some_and(|k| k != BundleKind::Compose) {
            let line = self.key_line(f, "pin-images");
            self.error(
                line,
                "`pin-images` applies to compose bundles only".to_owned(),
                "remove it, or set `kind = \"compose\"`",
            );
        }
        Some(BundleConfig { name: name?, kind: kind?, path: path?, allow, pin_images, line: f.line })
    }

    fn package(&mut self, f: &Fields) -> Option<PackageConfig> {
        let name =
            self.name(f, "package", paths::check_asset_name, "use the Cargo package's name, e.g. \"lamina-infra\"");
        let path = self.path(f, "path");
        let wheel = self.bool(f, "wheel").unwrap_or(true);
        let completions = self.bool(f, "completions").unwrap_or(false);
        let man = self.bool(f, "man").unwrap_or(false);
        let mut targets = Vec::new();
        for (t, line) in self.strings(f, "targets") {
            if super::runners::for_target(&t).is_none() {
                let help = format!("the job graph builds on native runners for {}", super::runners::known_targets());
                self.error(Some(line), format!("target `{t}` has no native runner"), &help);
            } else if targets.contains(&t) {
                self.error(Some(line), format!("target `{t}` is listed twice"), "remove the repeated entry");
            } else {
                targets.push(t);
            }
        }
        Some(PackageConfig { name: name?, path: path?, wheel, completions, man, targets, line: f.line })
    }

    /// `[python-index]`: two index URLs (https, or http to loopback) and how to authenticate.
    fn python_index(&mut self, f: &Fields) -> Option<PythonIndexConfig> {
        let mut url = |key: &str| {
            let (value, line) = self.value(f, key)?;
            let text = value.as_str()?;
            match paths::web_url_problem(text) {
                None => Some(text.to_owned()),
                Some(problem) => {
                    let example = schema::SECTIONS.iter().flat_map(|s| s.fields).find(|x| x.key == key);
                    let example = example.map_or("", |x| x.example);
                    self.error(
                        Some(line),
                        format!("python-index.{key}: {problem}"),
                        format!("write `{key} = {example}`"),
                    );
                    None
                }
            }
        };
        let upload_url = url("upload-url");
        let simple_url = url("simple-url");
        let token_exchange_url = match f.table.contains_key("token-exchange-url") {
            true => Some(url("token-exchange-url")?),
            false => None,
        };
        let trusted_publishing = self.bool(f, "trusted-publishing").unwrap_or(false);
        Some(PythonIndexConfig {
            upload_url: upload_url?,
            simple_url: simple_url?,
            trusted_publishing,
            token_exchange_url,
            line: f.line,
        })
    }

    /// Names and paths that must be unique across the file.
    fn duplicates(
        &mut self,
        charts: &[ChartConfig],
        images: &[ImageConfig],
        bundles: &[BundleConfig],
        packages: &[PackageConfig],
    ) {
        let keys = charts.iter().map(|c| ("chart path", &c.path, c.line));
        let keys = keys.chain(images.iter().map(|i| ("image name", &i.name, i.line)));
        let keys = keys.chain(bundles.iter().map(|b| ("bundle name", &b.name, b.line)));
        let keys = keys.chain(packages.iter().map(|p| ("package name", &p.name, p.line)));
        let mut seen: Vec<(&str, &String, usize)> = Vec::new();
        for (what, key, line) in keys {
            match seen.iter().find(|(w, k, _)| *w == what && *k == key) {
                Some((_, _, first)) => {
                    let message = format!("duplicate {what} `{key}` (first at line {first})");
                    self.error(Some(line), message, "remove one of them or give it another name");
                }
                None => seen.push((what, key, line)),
            }
        }
    }
}

impl Kind {
    fn matches(self, item: &Item) -> bool {
        match (self, item.as_value()) {
            (Kind::Str, Some(v)) => v.is_str(),
            (Kind::Bool, Some(v)) => v.is_bool(),
            (Kind::StrList, Some(Value::Array(a))) => a.iter().all(Value::is_str),
            _ => false,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Str => "a string",
            Kind::Bool => "true or false",
            Kind::StrList => "a list of strings",
        }
    }
}

impl Section {
    fn header(&self) -> &'static str {
        self.header
    }
}
