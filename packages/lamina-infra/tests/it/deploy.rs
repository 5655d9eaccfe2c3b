//! `deploy` with the real tools: Terraform applies a provider-free module from a release with a
//! local state, and a second deployment changes nothing; real Helm v4 (through a `helm` front end
//! over the Helm SDK) renders the chart with the release's image digests pinned; the Compose
//! project passes `docker-compose config` with its image pinned. `--dry-run`
//! touches nothing; a missing tool, an incompatible cluster or a bad configuration stops before
//! the tool starts.

use crate::common::{Run, edit_release, recorded_component, release_assets, run_lamina_infra, tar_gz};
use lamina_release_format::manifest::{ChartImage, Component, ComponentKind};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use xtask_dev::github::{GithubFake, Options, SeedRelease};

const PEERS: &str = "needs the test peers: run `cargo xtask test`";

const VARIABLES: &str =
    "variable \"environment\" {\n  type = string\n}\n\nvariable \"replicas\" {\n  type    = number\n  default = 1\n}\n";
const MAIN: &str = "resource \"terraform_data\" \"settings\" {\n  input = {\n    environment = var.environment\n    replicas    = var.replicas\n  }\n}\n\noutput \"settings\" {\n  value = terraform_data.settings.output\n}\n";

const DIGEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

/// `lamina-infra ARGS` against the fake, with `path` as PATH.
fn lamina_infra(fake: &GithubFake, args: &[&str], path: &str) -> Run {
    let env =
        [("PATH", OsStr::new(path)), ("TF_IN_AUTOMATION", OsStr::new("1")), ("CHECKPOINT_DISABLE", OsStr::new("1"))];
    run_lamina_infra(&fake.api_url(), args, &env)
}

/// The chart `demo`: its image from values, a schema requiring `replicas` to be an integer.
fn chart_archive() -> Vec<u8> {
    let chart = "apiVersion: v2\nname: demo\nversion: 0.2.0\nkubeVersion: \">=1.27.0-0\"\n";
    let values = "replicas: 1\nimage:\n  repository: ghcr.io/acme/hello\n  tag: \"0.2.0\"\n  digest: \"\"\n";
    let schema = r#"{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 0}}}"#;
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n  template:\n    spec:\n      containers:\n        - name: hello\n          image: \"{{ .Values.image.repository }}{{ if .Values.image.digest }}@{{ .Values.image.digest }}{{ else }}:{{ .Values.image.tag }}{{ end }}\"\n";
    tar_gz(&[
        ("demo/Chart.yaml", chart),
        ("demo/values.yaml", values),
        ("demo/values.schema.json", schema),
        ("demo/templates/deploy.yaml", deploy),
    ])
}

/// Release 0.2.0 on a fake: the chart (its image pinned in the manifest), and the bundle `name`
/// of `kind` holding `files` under its top folder, recorded as the pipeline records it.
fn release_with(name: &str, kind: ComponentKind, files: &[(&str, &str)]) -> GithubFake {
    let Component { modules, compose, .. } = recorded_component(name, kind, files);
    let file = format!("{name}-0.2.0.tar.gz");
    let entries: Vec<(String, &str)> = files.iter().map(|(p, t)| (format!("{name}-0.2.0/{p}"), *t)).collect();
    let archive = tar_gz(&entries.iter().map(|(p, t)| (p.as_str(), *t)).collect::<Vec<_>>());
    let bundle = tar_gz(&[("demo-k8s-0.2.0/ns.yaml", "kind: Namespace\n")]);
    let base = release_assets("0.2.0", chart_archive(), bundle, Vec::new(), None, None);
    let assets = edit_release(base, |manifest, files| {
        files.push((file.clone(), archive));
        let (size, sha256, target, version) = (0, String::new(), None, "0.2.0".into());
        manifest.components.push(Component {
            name: name.into(),
            kind,
            version,
            file,
            size,
            sha256,
            target,
            modules,
            compose,
        });
        manifest.charts[0].images = vec![ChartImage {
            name: "hello".into(),
            values: "image".into(),
            repository: "registry.example/acme/hello".into(),
            digest: Some(DIGEST.into()),
        }];
    });
    let fake = GithubFake::start(Options { public: true, can_push: false, ..Options::default() }).unwrap();
    fake.seed(SeedRelease { tag_name: "v0.2.0".into(), draft: false, assets, starter_assets: Vec::new() });
    fake
}

/// The release with the Terraform bundle `demo-terraform` (module `values`).
fn release() -> GithubFake {
    release_with(
        "demo-terraform",
        ComponentKind::Terraform,
        &[("values/variables.tf", VARIABLES), ("values/main.tf", MAIN)],
    )
}

const COMPOSE: &str = "services:\n  hello:\n    image: ghcr.io/acme/hello@sha256:1111111111111111111111111111111111111111111111111111111111111111\n    environment:\n      TOKEN: ${DEMO_TOKEN:?set DEMO_TOKEN in the env file}\n    ports:\n      - \"127.0.0.1:${DEMO_PORT:-8080}:8080\"\n";

/// The release with the Compose bundle `demo-compose`, its image pinned.
fn compose_release() -> GithubFake {
    release_with("demo-compose", ComponentKind::Compose, &[("compose.yaml", COMPOSE)])
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn the_compose_project_passes_docker_compose_config_pinned_and_a_bad_env_file_stops_the_deployment() {
    let fake = compose_release();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let work_arg = work.to_str().unwrap();
    let good = write(dir.path(), "good.env", "DEMO_TOKEN=s3cret\nDEMO_PORT=9000\n");
    let deploy = |env: &str, extra: &[&str]| {
        let mut args = vec!["deploy", "demo-compose", "--env-file", env, "--workdir", work_arg];
        args.extend_from_slice(extra);
        lamina_infra(&fake, &args, &path_env())
    };
    let dry = deploy(&good, &["--dry-run"]);
    assert_eq!(dry.code, 0, "{dry}");
    assert!(!work.exists());
    let project = format!("{work_arg}/project");
    let command = format!(
        "would run: docker-compose --project-directory {project} -f {project}/compose.yaml --env-file {good} up -d"
    );
    assert!(dry.stdout.contains(&format!("would extract the bundle (verified) into {project}")), "{dry}");
    assert!(dry.stdout.contains(&command), "{dry}");

    // The pulled project, as deploy writes it, passes the real Compose parser with its image pinned.
    let pulled = dir.path().join("pulled");
    let pull = lamina_infra(&fake, &["pull", "demo-compose", "--to", pulled.to_str().unwrap()], &path_env());
    assert_eq!(pull.code, 0, "{pull}");
    let folder = pulled.join("demo-compose-0.2.0");
    let config = |env: &str| {
        Command::new("docker-compose")
            .arg("--project-directory")
            .arg(&folder)
            .arg("-f")
            .arg(folder.join("compose.yaml"))
            .args(["--env-file", env, "config"])
            .output()
            .expect("docker-compose is on PATH: run `cargo xtask test`")
    };
    let out = config(&good);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("image: ghcr.io/acme/hello@{DIGEST}")), "{text}");
    assert!(text.contains("published: 9000") || text.contains("9000:8080"), "{text}");

    // An env file without the required variable: Compose refuses it, and deploy stops first.
    let bad = write(dir.path(), "bad.env", "DEMO_PORT=9000\nthis is not a line\n");
    assert!(!config(&bad).status.success(), "docker-compose refuses it too");
    let refused = deploy(&bad, &[]);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("bad.env:2: not a `NAME=value` line"), "{refused}");
    assert!(refused.stderr.contains("required variable `DEMO_TOKEN` is not set"), "{refused}");
    assert!(refused.stderr.contains("nothing was deployed") && !work.exists(), "{refused}");
}

fn path_env() -> String {
    std::env::var("PATH").unwrap_or_default()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn terraform_applies_the_released_module_and_a_second_deployment_changes_nothing() {
    let fake = release();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let work_arg = work.to_str().unwrap();
    let vars = write(dir.path(), "dev.tfvars", "environment = \"dev\"\nreplicas    = 2\n");
    let deploy = |extra: &[&str], path: &str| {
        let mut args = vec!["deploy", "demo-terraform/values", "--var-file", &vars, "--workdir", work_arg];
        args.extend_from_slice(extra);
        lamina_infra(&fake, &args, path)
    };

    let dry = deploy(&["--dry-run"], &path_env());
    assert_eq!(dry.code, 0, "{dry}");
    assert!(!work.exists(), "--dry-run wrote nothing");
    for line in [
        format!("would extract its `values` folder (verified) into {work_arg}/module"),
        format!("would write {work_arg}/main.tf.json"),
        format!("would run: terraform -chdir={work_arg} init -input=false"),
        format!("would run: terraform -chdir={work_arg} plan -input=false -out=lamina.tfplan -var-file={vars}"),
        format!("would run: terraform -chdir={work_arg} apply -input=false lamina.tfplan  (after asking"),
    ] {
        assert!(dry.stdout.contains(&line), "{line}\n{dry}");
    }
    assert!(dry.stdout.contains("\"environment\": \"${var.environment}\""), "{dry}");

    let first = deploy(&["--yes"], &path_env());
    assert_eq!(first.code, 0, "{first}");
    assert!(first.stdout.contains("Resources: 1 added, 0 changed, 0 destroyed"), "{first}");
    let state = std::fs::read_to_string(work.join("terraform.tfstate")).unwrap();
    assert!(state.contains("\"environment\"") && state.contains("\"dev\""), "{state}");

    // A provider lock file in the working folder stays as it is (no provider here: Terraform
    // would otherwise rewrite it with the same pins).
    let lock = "# This file is maintained automatically by \"terraform init\".\n# Manual edits may be lost in future updates.\n";
    std::fs::write(work.join(".terraform.lock.hcl"), lock).unwrap();
    let again = deploy(&["--auto-approve", "--json"], &path_env());
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stderr.contains("No changes."), "terraform's output goes to stderr: {again}");
    assert!(again.stderr.contains("Resources: 0 added, 0 changed, 0 destroyed"), "{again}");
    let done: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!((done["component"].as_str(), done["dryRun"].as_bool()), (Some("demo-terraform/values"), Some(false)));
    assert_eq!(done["commands"].as_array().unwrap().len(), 3, "{done}");
    assert_eq!(std::fs::read_to_string(work.join(".terraform.lock.hcl")).unwrap(), lock, "the lock file is kept");

    // A working folder belongs to one component, and a folder of other files is never used.
    assert_eq!(std::fs::read_to_string(work.join(".lamina-deploy")).unwrap(), "demo-terraform/values\n");
    // Only its owner reads the folder, the state and the plan; the provider lock file stays.
    let mode = |p: &std::path::Path| {
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(p).unwrap().permissions()) & 0o777
    };
    assert_eq!(mode(&work), 0o700);
    for file in ["terraform.tfstate", "lamina.tfplan"] {
        assert_eq!(mode(&work.join(file)), 0o600, "{file}");
    }
    let theirs = dir.path().join("theirs");
    std::fs::create_dir_all(theirs.join("module")).unwrap();
    let in_theirs = |d: &str| {
        let args = ["deploy", "demo-terraform/values", "--var-file", &vars, "--yes", "--workdir", d];
        lamina_infra(&fake, &args, &path_env())
    };
    let refused = in_theirs(theirs.to_str().unwrap());
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("holds files `lamina-infra deploy` did not write"), "{refused}");
    assert!(theirs.join("module").is_dir() && !theirs.join("main.tf.json").exists());
    std::fs::write(theirs.join(".lamina-deploy"), "demo\n").unwrap();
    let other = in_theirs(theirs.to_str().unwrap());
    assert!(other.stderr.contains("is the working folder of demo, not demo-terraform/values"), "{other}");

    // Without approval and without a terminal to ask on, nothing is applied.
    let unapproved = deploy(&[], &path_env());
    assert_eq!(unapproved.code, 1, "{unapproved}");
    assert!(unapproved.stderr.contains("there is no terminal to ask; run again with --yes"), "{unapproved}");

    let before = std::fs::read_to_string(work.join("terraform.tfstate")).unwrap();
    let bad = write(dir.path(), "bad.tfvars", "replicas = \"many\"\n");
    let refused = lamina_infra(
        &fake,
        &["deploy", "demo-terraform/values", "--var-file", &bad, "--workdir", work_arg],
        &path_env(),
    );
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("bad.tfvars:1: `replicas`: expected number, found a string"), "{refused}");
    assert!(refused.stderr.contains("required variable `environment` is not set"), "{refused}");
    assert!(refused.stderr.contains("nothing was deployed"), "{refused}");
    assert!(!refused.stdout.contains("Terraform"), "terraform did not start: {refused}");
    assert_eq!(std::fs::read_to_string(work.join("terraform.tfstate")).unwrap(), before, "the state is untouched");
}

#[test]
fn a_missing_tool_or_a_wrong_flag_is_named_before_anything_starts() {
    let fake = release();
    let dir = tempfile::tempdir().unwrap();
    let vars = write(dir.path(), "dev.tfvars", "environment = \"dev\"\n");
    let empty = tempfile::tempdir().unwrap();
    let no_tools = empty.path().to_str().unwrap();
    let missing = lamina_infra(&fake, &["deploy", "demo-terraform/values", "--var-file", &vars, "--dry-run"], no_tools);
    assert_eq!(missing.code, 1, "{missing}");
    assert!(
        missing.stderr.contains(
            "`terraform` is not installed here: install Terraform (https://developer.hashicorp.com/terraform/install)"
        ),
        "{missing}"
    );
    let helm = lamina_infra(&fake, &["deploy", "demo", "--dry-run"], no_tools);
    assert!(helm.stderr.contains("`helm` is not installed here"), "{helm}");

    let wrong = lamina_infra(&fake, &["deploy", "demo", "--var-file", &vars], no_tools);
    assert_eq!(wrong.code, 1, "{wrong}");
    assert!(
        wrong.stderr.contains("`--var-file` does not apply to `demo`; give its configuration with `--values`"),
        "{wrong}"
    );
    let unknown = lamina_infra(&fake, &["deploy", "demo-terraform/value"], no_tools);
    assert!(unknown.stderr.contains("did you mean `demo-terraform/values`?"), "{unknown}");
    let version = lamina_infra(&fake, &["deploy", "demo", "--version", "9.9.9"], no_tools);
    assert_eq!(version.code, 1, "{version}");
    assert!(version.stderr.contains("has no published release 9.9.9 (nearest: 0.2.0)"), "{version}");
}

/// A folder holding `helm`: the front end over the Helm SDK in the peers' Python.
fn helm_on_path(dir: &Path) -> String {
    let peers = PathBuf::from(std::env::var_os("LAMINA_TEST_PEERS").expect(PEERS));
    let script =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/helm_shim.py")).unwrap();
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helm = bin.join("helm");
    std::fs::write(&helm, format!("#!{}\n{script}", peers.join("venv/bin/python").display())).unwrap();
    let mut perms = std::fs::metadata(&helm).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&helm, perms).unwrap();
    format!("{}:{}", bin.display(), path_env())
}

#[test]
#[ignore = "needs the test peers: run `cargo xtask test`"]
fn helm_renders_the_released_chart_with_the_image_pinned_to_its_digest() {
    let fake = release();
    let dir = tempfile::tempdir().unwrap();
    let path = helm_on_path(dir.path());
    let work = dir.path().join("work");
    let work_arg = work.to_str().unwrap();
    let values = write(dir.path(), "mine.yaml", "replicas: 2\n");
    let args = |extra: &[&'static str]| {
        let mut a: Vec<String> =
            ["deploy", "demo", "--values", &values, "--workdir", work_arg, "--kube-version", "1.30.0"]
                .map(str::to_owned)
                .to_vec();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |a: Vec<String>| lamina_infra(&fake, &a.iter().map(String::as_str).collect::<Vec<_>>(), &path);

    let dry = run(args(&["--dry-run", "-n", "apps"]));
    assert_eq!(dry.code, 0, "{dry}");
    assert!(!work.exists());
    assert!(
        dry.stdout
            .contains(&format!("    image:\n      digest: {DIGEST}\n      repository: registry.example/acme/hello\n")),
        "{dry}"
    );
    let command = format!(
        "would run: helm upgrade --install demo {work_arg}/demo-0.2.0.tgz --namespace apps --create-namespace -f {work_arg}/pinned-values.yaml -f {values}"
    );
    assert!(dry.stdout.contains(&command), "{dry}");

    // Where it goes is said, and asked about: without a terminal, only --yes goes ahead.
    let target = "target: kube context (none set in your kubeconfig), namespace `lamina`, release `demo`";
    assert!(run(args(&["--dry-run"])).stdout.contains(target), "{target}");
    let unasked = run(args(&[]));
    assert_eq!(unasked.code, 1, "{unasked}");
    assert!(unasked.stderr.contains(target), "{unasked}");
    assert!(unasked.stderr.contains("there is no terminal to ask; run again with --yes"), "{unasked}");
    assert!(!unasked.stdout.contains("has been rendered"), "helm did not start: {unasked}");
    assert!(!work.exists(), "nothing was written before asking");

    let deployed = run(args(&["--yes"]));
    assert_eq!(deployed.code, 0, "{deployed}");
    assert!(deployed.stdout.contains("in namespace \"lamina\" of kube context \"(current)\""), "{deployed}");
    assert!(deployed.stdout.contains(&format!("image: \"registry.example/acme/hello@{DIGEST}\"")), "{deployed}");
    assert!(deployed.stdout.contains("replicas: 2"), "{deployed}");

    // Values the schema forbids: validate refuses them first, with the line; Helm refuses them too.
    let bad = write(dir.path(), "bad.yaml", "# more replicas\nreplicas: two\n");
    let refused = lamina_infra(
        &fake,
        &["deploy", "demo", "--values", &bad, "--kube-version", "1.30.0", "--workdir", work_arg],
        &path,
    );
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("bad.yaml:2: `replicas`"), "{refused}");
    assert!(!refused.stdout.contains("has been rendered"), "helm did not start: {refused}");
    let helm = Command::new(dir.path().join("bin/helm"))
        .args(["upgrade", "--install", "demo"])
        .arg(work.join("demo-0.2.0.tgz"))
        .args(["-f", &bad])
        .output()
        .unwrap();
    assert!(!helm.status.success(), "Helm refuses them as well");

    let broken = write(dir.path(), "broken.yaml", "replicas: 2\nimage: [unclosed\n");
    let malformed = lamina_infra(&fake, &["deploy", "demo", "--values", &broken, "--kube-version", "1.30.0"], &path);
    assert_eq!(malformed.code, 1, "{malformed}");
    assert!(malformed.stderr.contains("broken.yaml:3: not valid YAML"), "{malformed}");

    // The kube context is the kubeconfig's current one, or the one given, which helm and
    // kubectl are both told. (This kubectl stands in for a cluster: it answers for `staging` only.)
    let kubeconfig = write(dir.path(), "kubeconfig", "apiVersion: v1\nkind: Config\ncurrent-context: prod-eu\n");
    let env = [("PATH", OsStr::new(&path)), ("KUBECONFIG", OsStr::new(&kubeconfig))];
    let current = run_lamina_infra(&fake.api_url(), &["deploy", "demo", "--kube-version", "1.30.0", "--dry-run"], &env);
    assert!(current.stdout.contains("target: kube context `prod-eu`, namespace `lamina`"), "{current}");
    assert!(current.stdout.contains("--create-namespace --kube-context prod-eu"), "helm is told: {current}");
    // Helm's own variable wins over the kubeconfig, as in helm; another API server is said.
    let helm_env = [
        &env[..],
        &[("HELM_KUBECONTEXT", OsStr::new("from-helm")), ("HELM_KUBEAPISERVER", OsStr::new("https://10.0.0.1"))],
    ]
    .concat();
    let from_helm =
        run_lamina_infra(&fake.api_url(), &["deploy", "demo", "--kube-version", "1.30.0", "--dry-run"], &helm_env);
    assert!(from_helm.stdout.contains("target: kube context `from-helm`"), "{from_helm}");
    assert!(from_helm.stderr.contains("warning: HELM_KUBEAPISERVER is set"), "{from_helm}");
    let kubectl = write(
        &dir.path().join("bin"),
        "kubectl",
        "#!/bin/sh\n[ \"$*\" = 'version -o json --context staging' ] || exit 1\necho '{\"serverVersion\":{\"gitVersion\":\"v1.30.2\"}}'\n",
    );
    std::fs::set_permissions(&kubectl, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let given = run_lamina_infra(
        &fake.api_url(),
        &["deploy", "demo", "--kube-context", "staging", "--yes", "--workdir", work_arg],
        &env,
    );
    assert_eq!(given.code, 0, "{given}");
    assert!(given.stderr.contains("target: kube context `staging`, namespace `lamina`"), "{given}");
    assert!(given.stdout.contains("of kube context \"staging\""), "{given}");
    assert!(!given.stderr.contains("was not checked"), "kubectl was asked in `staging`: {given}");
    std::fs::remove_file(&kubectl).unwrap();

    // Without kubectl the cluster's version is unknown: said, not passed over.
    let unchecked = lamina_infra(&fake, &["deploy", "demo", "--dry-run"], &path);
    assert!(
        unchecked.stderr.contains("warning: chart demo 0.2.0") && unchecked.stderr.contains("was not checked"),
        "{unchecked}"
    );
    let old = lamina_infra(&fake, &["deploy", "demo", "--kube-version", "1.26.0", "--dry-run"], &path);
    assert_eq!(old.code, 1, "{old}");
    assert!(old.stderr.contains("chart demo 0.2.0: needs kubernetes >=1.27.0-0, found 1.26.0"), "{old}");
}
