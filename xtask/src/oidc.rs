//! The job's OIDC token from GitHub Actions (`ACTIONS_ID_TOKEN_REQUEST_URL` and
//! `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, set for jobs with `permissions: id-token: write`), for one
//! audience: `sigstore` to sign a release, the Python index's to publish to it. The token is
//! returned, never printed.

use anyhow::Context;

/// The job's OIDC token for `audience`, requested at `request_url` with `request_token`.
pub async fn job_token(
    http: &reqwest::Client,
    request_url: &str,
    request_token: &str,
    audience: &str,
) -> anyhow::Result<String> {
    if let Some(problem) = crate::config::web_url_problem(request_url) {
        return Err(lamina_remote::hint::fail(
            format!("ACTIONS_ID_TOKEN_REQUEST_URL: {problem}"),
            "run in GitHub Actions, which sets it to an https:// URL",
        ));
    }
    let mut url = reqwest::Url::parse(request_url).context("ACTIONS_ID_TOKEN_REQUEST_URL is not a URL")?;
    url.query_pairs_mut().append_pair("audience", audience);
    let answer = http
        .get(url)
        .header("authorization", format!("bearer {request_token}"))
        .send()
        .await
        .context("request the job's OIDC token from GitHub Actions")?;
    if !answer.status().is_success() {
        return Err(lamina_remote::hint::fail(
            format!("GitHub Actions answered {} to the request for the job's OIDC token", answer.status()),
            "give the release job `permissions: id-token: write`",
        ));
    }
    let value: serde_json::Value = answer.json().await.context("the OIDC token answer is not JSON")?;
    Ok(value["value"].as_str().context("the OIDC token answer has no `value`")?.to_owned())
}
