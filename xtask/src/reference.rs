//! Image references as they stand in text (`{repository}:{tag}`), matched whole: never inside a
//! longer name or tag. Pinning Compose files, `bump` and the reference checks share these rules.

/// References to one of `images` under a tag the release does not push: `(line, reference)`.
pub fn foreign_tags(text: &str, images: &[(String, Vec<String>)]) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        for (repository, tags) in images {
            let prefix = format!("{repository}:");
            let mut rest = line;
            while let Some(i) = rest.find(&prefix) {
                let before = rest[..i].chars().last();
                let tail = &rest[i + prefix.len()..];
                let tag: String = tail.chars().take_while(|c| is_tag_char(*c)).collect();
                if before.is_none_or(|c| !is_ref_char(c)) && !tag.is_empty() && !tags.contains(&tag) {
                    found.push((n + 1, format!("{repository}:{tag}")));
                }
                rest = &tail[tag.len()..];
            }
        }
    }
    found
}

/// Replaces `from` where it stands as a whole reference: not inside a longer name or tag.
pub fn replace_whole(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(from) {
        let before = out.chars().last().or_else(|| rest[..i].chars().last());
        let before = if i > 0 { rest[..i].chars().last() } else { before };
        let after = rest[i + from.len()..].chars().next();
        out.push_str(&rest[..i]);
        if before.is_none_or(|c| !is_ref_char(c)) && after.is_none_or(|c| !is_tag_char(c)) {
            out.push_str(to);
        } else {
            out.push_str(from);
        }
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

fn is_tag_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

fn is_ref_char(c: char) -> bool {
    is_tag_char(c) || matches!(c, '/' | ':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_tags_the_release_does_not_push() {
        let text =
            "image: ghcr.io/acme/hello:0.1.9\nimage: ghcr.io/acme/hello:0.2.0\nimage: ghcr.io/acme/hello-world:1\n";
        let images = [("ghcr.io/acme/hello".to_owned(), vec!["0.2.0".to_owned()])];
        assert_eq!(foreign_tags(text, &images), [(1, "ghcr.io/acme/hello:0.1.9".to_owned())]);
    }
}
