//! Trusted publishing from GitHub Actions (PyPI's Trusted Publishing documentation, "Publishing
//! with a Trusted Publisher", and pypa/gh-action-pypi-publish): ask the index for its audience,
//! ask GitHub for the job's OIDC token for that audience, trade it at the index for a short-lived
//! upload token. Nothing here is printed: the tokens never leave this function but in its result.

use anyhow::Context;
use reqwest::StatusCode;

/// The upload token minted for this job by the index at `base`, from the job's OIDC token
/// requested at `request_url` with `request_token` (GitHub's `ACTIONS_ID_TOKEN_REQUEST_*`).
pub async fn exchange(
    http: &reqwest::Client,
    base: &str,
    request_url: &str,
    request_token: &str,
) -> anyhow::Result<String> {
    let audience_url = format!("{base}/_/oidc/audience");
    let answer = http.get(&audience_url).send().await.with_context(|| format!("read {audience_url}"))?;
    let audience = match answer.status() {
        StatusCode::OK => {
            let value: serde_json::Value =
                answer.json().await.with_context(|| format!("{audience_url} is not JSON"))?;
            value["audience"]
                .as_str()
                .map(str::to_owned)
                .with_context(|| format!("{audience_url} names no audience"))?
        }
        StatusCode::FORBIDDEN => {
            return Err(lamina_remote::hint::fail(
                format!("trusted publishing is turned off on {base} (403 from {audience_url})"),
                "set LAMINA_PYTHON_INDEX_TOKEN to an upload token, or `trusted-publishing = false` until the index allows it",
            ));
        }
        StatusCode::NOT_FOUND => {
            return Err(lamina_remote::hint::fail(
                format!("{base} does not offer trusted publishing (404 from {audience_url})"),
                "set python-index.token-exchange-url to the index's base, or set `trusted-publishing = false` and use LAMINA_PYTHON_INDEX_TOKEN",
            ));
        }
        status => anyhow::bail!("{audience_url} answered {status}"),
    };

    let jwt = crate::oidc::job_token(http, request_url, request_token, &audience).await?;

    let mint_url = format!("{base}/_/oidc/mint-token");
    let answer = http
        .post(&mint_url)
        .header("content-type", "application/json")
        .body(serde_json::json!({ "token": jwt }).to_string())
        .send()
        .await
        .with_context(|| format!("exchange the OIDC token at {mint_url}"))?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    if status == StatusCode::OK {
        let value: serde_json::Value = serde_json::from_str(&text).context("the minted token answer is not JSON")?;
        return value["token"].as_str().map(str::to_owned).context("the minted token answer has no `token`");
    }
    // 422: {"message": …, "errors": [{"code": …, "description": …}]}; server errors may not be JSON.
    let errors: Vec<String> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["errors"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| format!("{}: {}", e["code"].as_str().unwrap_or("?"), e["description"].as_str().unwrap_or("")))
        .collect();
    let said = if errors.is_empty() { text.trim().chars().take(300).collect() } else { errors.join("; ") };
    Err(lamina_remote::hint::fail(
        format!("{base} refused to mint an upload token ({status}): {said}"),
        "add this repository as a trusted publisher of the project on the index (workflow `release.yml`, and its environment if any), or set LAMINA_PYTHON_INDEX_TOKEN",
    ))
}
