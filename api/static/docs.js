// Renders the OpenAPI document of this server; no external resources, works offline.
"use strict";

const el = (tag, attrs = {}, ...kids) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const kid of kids) node.append(kid);
  return node;
};
const json = (value) => JSON.stringify(value, null, 2);

function resolve(doc, schema) {
  // Inline one level of $ref so each schema reads on its own.
  if (schema && schema.$ref) return doc.components.schemas[schema.$ref.split("/").pop()];
  return schema;
}

function paramTable(params) {
  const table = el("table", {}, el("tr", {}, el("th", {}, "name"), el("th", {}, "in"),
    el("th", {}, "schema"), el("th", {}, "description")));
  for (const p of params) {
    table.append(el("tr", {}, el("td", {}, el("code", {}, p.name + (p.required ? " *" : ""))),
      el("td", {}, p.in), el("td", {}, el("code", {}, JSON.stringify(p.schema))),
      el("td", {}, p.description || "")));
  }
  return table;
}

function tryForm(doc, path, method, op) {
  const form = el("div", { class: "try" });
  const inputs = {};
  for (const p of op.parameters) {
    inputs[p.name] = el("input", { placeholder: `${p.name} (${p.in})` });
    form.append(inputs[p.name]);
  }
  let body = null;
  if (op.requestBody) {
    body = el("textarea", { rows: 4, placeholder: "JSON body" });
    form.append(body);
  }
  const out = el("pre", {}, "");
  const button = el("button", {}, "Send");
  button.onclick = async () => {
    let url = path;
    const query = new URLSearchParams();
    for (const p of op.parameters) {
      const v = inputs[p.name].value;
      if (p.in === "path") url = url.replace(`{${p.name}}`, encodeURIComponent(v));
      else if (v !== "") query.set(p.name, v);
    }
    if ([...query].length) url += "?" + query;
    const headers = { "Content-Type": "application/json" };
    const key = document.getElementById("apikey").value;
    if (key) headers["X-API-Key"] = key;
    const response = await fetch(url, { method: method.toUpperCase(), headers,
      body: body ? body.value : undefined });
    const text = await response.text();
    out.textContent = `${response.status} ${response.statusText}\n` + text;
  };
  form.append(button, out);
  return el("details", {}, el("summary", {}, "Try it"), form);
}

function render(doc) {
  document.getElementById("version").textContent = doc.info.version;
  document.getElementById("description").textContent = doc.info.description;
  const ops = document.getElementById("ops");
  const toc = document.getElementById("toc");
  ops.textContent = "";
  for (const tag of doc.tags) toc.append(el("a", { href: "#tag-" + tag.name }, tag.name));
  for (const tag of doc.tags) {
    ops.append(el("h2", { id: "tag-" + tag.name }, tag.name));
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!op.tags.includes(tag.name)) continue;
        const section = el("section", { class: "op" },
          el("div", {}, el("span", { class: "method " + method.toUpperCase() }, method.toUpperCase()),
            el("code", {}, path), " — " + op.summary));
        if (op.description) section.append(el("p", {}, op.description));
        if (op["x-scope"]) section.append(el("p", {}, "Needs an API key with scope ",
          el("code", {}, op["x-scope"]), " when keys are configured."));
        if (op.parameters.length) section.append(paramTable(op.parameters));
        if (op.requestBody) {
          const schema = resolve(doc, op.requestBody.content["application/json"].schema);
          section.append(el("details", {}, el("summary", {}, "Request body"), el("pre", {}, json(schema))));
        }
        for (const [status, response] of Object.entries(op.responses)) {
          const content = response.content && response.content["application/json"];
          const schema = content ? json(resolve(doc, content.schema)) : "(no body)";
          section.append(el("details", {}, el("summary", {}, `${status} ${response.description}`),
            el("pre", {}, schema)));
        }
        section.append(tryForm(doc, path, method, op));
        ops.append(section);
      }
    }
  }
}

fetch("openapi.json")
  .then((r) => r.json())
  .then(render)
  .catch((err) => { document.getElementById("ops").textContent = "Cannot load openapi.json: " + err; });
