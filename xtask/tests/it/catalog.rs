//! The catalog a release writes on the Pages branch, served as Pages would serve it: read in
//! Debian's chromium (console, requests, links, install lines, axe-core, hostile text), its
//! module pages fetched by real `terraform init`, and its module registry walked step by step
//! as OpenTofu walks it.

use crate::release::World;
use crate::support::{peers, run, tool};
use std::path::Path;
use xtask_dev::browser::{self, Report};
use xtask_dev::github::Options;
use xtask_dev::site::StaticSite;

/// What a contributor could write into Chart.yaml to attack the page.
const HOSTILE: &str = r#"<script>alert(1)</script> "onmouseover="alert(2)" <img src=x onerror=alert(3)>"#;

/// A GET on loopback: status and body.
fn get(url: &str) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(3)).build().unwrap();
        let response = client.get(url).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap().to_vec())
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The Pages branch of `pages` written out into `dir`, as Pages publishes it.
fn publish(pages: &Path, dir: &Path) {
    let out = std::process::Command::new("git")
        .args(["archive", "--format=tar", "gh-pages"])
        .current_dir(pages)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    tar::Archive::new(out.stdout.as_slice()).unpack(dir).unwrap();
}

/// A browser's reading of `url`, its screenshot kept under the test's target folder.
fn browse(url: &str, name: &str) -> Report {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog");
    std::fs::create_dir_all(&shots).unwrap();
    let shot = shots.join(format!("{name}.png"));
    let report = browser::check(&peers("chromium and playwright-core"), url, &shot).unwrap();
    assert!(std::fs::metadata(&shot).unwrap().len() > 1000, "no screenshot of {url}");
    assert!(report.problems().is_empty(), "{url}: {:#?}", report.problems());
    assert_eq!(report.codes, report.codes_without_js, "{url} shows other install lines without JavaScript");
    report
}

/// The lines of every `<code>` on the page.
fn code_lines(report: &Report) -> Vec<String> {
    report.codes.iter().flat_map(|c| c.lines().map(|l| l.trim().to_owned())).collect()
}

#[test]
#[ignore = "needs buildah, the registry, chromium, playwright-core, axe-core and terraform: run `cargo xtask test`"]
fn the_catalog_shows_the_release_in_a_browser_and_terraform_fetches_its_modules() {
    let world = World::new(Options::default());
    let repo = &world.repo;
    let chart = repo
        .read("charts/demo/Chart.yaml")
        .replace("description: A small demo application", &format!("description: '{}'", HOSTILE.replace('\'', "''")));
    repo.write("charts/demo/Chart.yaml", &chart);
    // The registry needs the site at a host root; the test's own site is given by LAMINA_PAGES_URL.
    let config = repo.read("release.toml").replace(
        "url = \"https://acme.github.io/infra-demo\"\n",
        "url = \"https://infra.acme.dev\"\nterraform-registry = \"acme/kubernetes\"\n",
    );
    repo.write("release.toml", &config);
    repo.commit("a hostile chart description; a module registry");
    repo.git(&["tag", "-f", "v0.2.0"]);

    // Pages at a host root: the site is served before the release so its URL is known.
    let folder = tempfile::tempdir().unwrap();
    let site = StaticSite::serve(folder.path()).unwrap();
    world.xtask(&["release", "--builder", "buildah"], &[("LAMINA_PAGES_URL", site.url())]).ok();
    publish(&world.pages, folder.path());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.out("0.2.0").join("release-manifest.json")).unwrap()).unwrap();

    // The front page and the release page, in chromium.
    let front = browse(&format!("{}/", site.url()), "front");
    let release = browse(&format!("{}/releases/0.2.0/", site.url()), "release");
    assert_eq!(front.title, "Releases");
    assert_eq!(release.title, "Release 0.2.0");

    // Every install line the manifest implies is on the page, and every one on the page is one.
    let oci = manifest["charts"][0]["oci"].as_str().unwrap().rsplit_once(':').unwrap().0.to_owned();
    let image = &manifest["images"][0];
    let host = site.url().trim_start_matches("http://");
    let expected = [
        format!("helm repo add acme {}", site.url()),
        "helm install demo acme/demo --version 0.2.0".to_owned(),
        format!("helm install demo oci://{oci} --version 0.2.0"),
        "lamina-infra verify 0.2.0 --repo acme/infra-demo".to_owned(),
        format!("{}@{}", image["repository"].as_str().unwrap(), image["digest"].as_str().unwrap()),
        format!("source = \"{}/modules/values/0.2.0\"", site.url()),
        format!("source = \"{host}/acme/values/kubernetes\""),
        "version = \"0.2.0\"".to_owned(),
    ];
    let lines = code_lines(&release);
    for line in &expected {
        assert!(lines.contains(line), "`{line}` is not on the release page: {lines:#?}");
    }
    let commands = ["helm ", "pip ", "lamina-infra ", "source =", "version ="];
    for line in lines.iter().filter(|l| commands.iter().any(|c| l.starts_with(c))) {
        assert!(expected.contains(line), "`{line}` on the page is not what the manifest says");
    }
    assert!(code_lines(&front).iter().all(|l| !commands.iter().any(|c| l.starts_with(c)) || expected.contains(l)));

    // Every link resolves on the site, or is this release's page or one of its assets on GitHub.
    let fake = only_assets(&world);
    let github = format!("{}/acme/infra-demo/releases", world.github.api_url());
    for link in front.links.iter().chain(&release.links) {
        if link.starts_with(site.url()) {
            assert_eq!(get(link).0, 200, "{link}");
        } else if let Some(file) = link.strip_prefix(&format!("{github}/download/v0.2.0/")) {
            assert!(fake.contains(&file.to_owned()), "{link} is no asset of the release: {fake:?}");
        } else {
            assert_eq!(link, &format!("{github}/tag/v0.2.0"), "a link that leads nowhere");
        }
    }

    // The hostile description is text: no dialog fired (checked by `browse`), and the source holds
    // it only escaped.
    let page = String::from_utf8(get(&format!("{}/releases/0.2.0/", site.url())).1).unwrap();
    assert!(
        !page.contains("<script>alert") && !page.contains("<img src=x") && !page.contains("\"onmouseover"),
        "{page}"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");

    terraform_fetches_the_module_by_its_page(&site, folder.path());
    opentofu_s_protocol_finds_the_module(&site);
}

/// `terraform init` on the page's `source` line downloads the module and checks its checksum;
/// `plan` runs it with the module's variables; a changed asset byte fails `init`.
fn terraform_fetches_the_module_by_its_page(site: &StaticSite, folder: &Path) {
    let terraform = tool("terraform", "install HashiCorp's terraform 1.11 on PATH");
    let env = [("CHECKPOINT_DISABLE", "1"), ("TF_IN_AUTOMATION", "1"), ("TF_CLI_CONFIG_FILE", "/dev/null")];
    let root = tempfile::tempdir().unwrap();
    let call = |source: &str| {
        format!(
            "module \"values\" {{\n  source      = \"{source}\"\n  app_version = \"0.2.0\"\n}}\n\noutput \"labels\" {{\n  value = module.values.labels\n}}\n"
        )
    };
    std::fs::write(root.path().join("main.tf"), call(&format!("{}/modules/values/0.2.0", site.url()))).unwrap();
    run(&terraform, &["init", "-input=false", "-no-color"], root.path(), &env);
    let main = root.path().join(".terraform/modules/values/main.tf");
    assert!(main.is_file(), "terraform did not fetch the module");
    let plan = run(&terraform, &["plan", "-input=false", "-no-color"], root.path(), &env);
    assert!(plan.contains("\"app.kubernetes.io/version\" = \"0.2.0\""), "{plan}");

    // The same page pointing at a copy of the asset with one byte changed.
    let page = std::fs::read_to_string(folder.join("modules/values/0.2.0/index.html")).unwrap();
    let content = page
        .split("name=\"terraform-get\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let asset = content.split("//").take(2).collect::<Vec<_>>().join("//");
    let (status, mut bytes) = get(&asset);
    assert_eq!(status, 200, "{asset}");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::create_dir_all(folder.join("tampered")).unwrap();
    let file = asset.rsplit('/').next().unwrap();
    std::fs::write(folder.join("tampered").join(file), &bytes).unwrap();
    let base = asset.rsplit_once('/').unwrap().0;
    let escaped_base = base.replace('&', "&amp;");
    std::fs::write(
        folder.join("tampered/index.html"),
        page.replace(&escaped_base, &format!("{}/tampered", site.url())),
    )
    .unwrap();
    let tampered = tempfile::tempdir().unwrap();
    std::fs::write(tampered.path().join("main.tf"), call(&format!("{}/tampered", site.url()))).unwrap();
    let out = std::process::Command::new(&terraform)
        .args(["init", "-input=false", "-no-color"])
        .current_dir(tampered.path())
        .envs(env)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && said.contains("Checksums did not match"), "a changed asset was accepted:\n{said}");
}

/// The module registry protocol, step by step: service discovery, the version list, the
/// download answer's `location`, and the archive it names (checksum, folder, files).
fn opentofu_s_protocol_finds_the_module(site: &StaticSite) {
    let (status, body) = get(&format!("{}/.well-known/terraform.json", site.url()));
    assert_eq!(status, 200);
    let discovery: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let modules = discovery["modules.v1"].as_str().unwrap();
    assert!(modules.starts_with('/') && modules.ends_with('/'), "{modules}");
    let base = format!("{}{modules}acme/values/kubernetes", site.url());
    let (status, body) = get(&format!("{base}/versions"));
    assert_eq!(status, 200);
    let versions: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let listed: Vec<&str> =
        versions["modules"][0]["versions"].as_array().unwrap().iter().map(|v| v["version"].as_str().unwrap()).collect();
    assert_eq!(listed, ["0.2.0"]);
    let (status, body) = get(&format!("{base}/0.2.0/download"));
    assert_eq!(status, 200);
    let download: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let location = download["location"].as_str().unwrap();
    // go-getter's form: `URL//FOLDER?archive=tar.gz&checksum=sha256:HEX`.
    let (address, query) = location.split_once('?').unwrap();
    let (url, folder) = address.rsplit_once("//").unwrap();
    assert!(query.contains("archive=tar.gz"), "{location}");
    let checksum = query.split('&').find_map(|p| p.strip_prefix("checksum=sha256:")).unwrap();
    let (status, archive) = get(url);
    assert_eq!(status, 200, "{url}");
    assert_eq!(sha256_hex(&archive), checksum);
    let names: Vec<String> = tar::Archive::new(flate2::read::GzDecoder::new(archive.as_slice()))
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&format!("{folder}/main.tf")), "{folder}/main.tf not in {names:?}");
}

fn only_assets(world: &World) -> Vec<String> {
    crate::release::only_release(world).assets.iter().map(|a| a.name.clone()).collect()
}
