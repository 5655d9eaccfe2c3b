use super::upload_form;
use futures_util::TryStreamExt;

#[tokio::test]
async fn the_upload_body_holds_the_fields_in_order_then_the_file_as_content() {
    let wheel = "lamina_infra-0.2.0-py3-none-manylinux_2_34_x86_64.whl";
    let fields = [(":action", "file_upload"), ("protocol_version", "1"), ("classifiers", "A"), ("classifiers", "B")];
    let fields = fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let form = upload_form(fields, wheel, b"\x00wheel bytes".to_vec()).unwrap();
    let boundary = form.boundary().to_owned();
    let body = form
        .into_stream()
        .try_fold(Vec::new(), |mut body, chunk| async move {
            body.extend_from_slice(&chunk);
            Ok(body)
        })
        .await
        .unwrap();
    let text = |name: &str, value: &str| {
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
    };
    let expected = [
        text(":action", "file_upload"),
        text("protocol_version", "1"),
        text("classifiers", "A"),
        text("classifiers", "B"),
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{wheel}\"\r\nContent-Type: application/octet-stream\r\n\r\n\u{0}wheel bytes\r\n--{boundary}--\r\n"
        ),
    ]
    .concat();
    assert_eq!(String::from_utf8_lossy(&body), expected);
}
