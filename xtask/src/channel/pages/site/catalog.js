// Copy buttons for install lines and a filter over the release list; the page is whole without them.
"use strict";
for (const pre of document.querySelectorAll("pre")) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy";
  button.textContent = "Copy";
  button.addEventListener("click", () => {
    navigator.clipboard.writeText(pre.querySelector("code").textContent).then(
      () => { button.textContent = "Copied"; },
      () => { button.textContent = "Select and copy"; },
    );
  });
  pre.append(button);
}
const list = document.querySelector("ul.releases");
if (list) {
  const label = document.createElement("label");
  label.className = "search";
  label.textContent = "Filter releases ";
  const input = document.createElement("input");
  input.type = "search";
  label.append(input);
  list.before(label);
  input.addEventListener("input", () => {
    const wanted = input.value.trim().toLowerCase();
    for (const item of list.children) {
      item.hidden = wanted !== "" && !item.textContent.toLowerCase().includes(wanted);
    }
  });
}
