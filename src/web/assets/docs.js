// Renders /openapi.json: tags, paths, methods, parameters, request and response schemas.
// Self-contained, builds the DOM with textContent only (no HTML from the document is trusted).
(function () {
  "use strict";
  var root = document.getElementById("docs");
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function refName(ref) { return ref.split("/").pop(); }
  var spec = null;
  function resolve(s) {
    var seen = 0;
    while (s && s.$ref && seen < 20) { s = spec.components.schemas[refName(s.$ref)] || {}; seen++; }
    return s || {};
  }
  function typeOf(s) {
    if (!s) return "any";
    if (s.$ref) return refName(s.$ref);
    var t = Array.isArray(s.type) ? s.type.filter(function (x) { return x !== "null"; }).join("|") : s.type;
    if (t === "array") return "[" + typeOf(s.items) + "]";
    if (s.oneOf || s.anyOf) return (s.oneOf || s.anyOf).map(typeOf).join(" | ");
    if (s.allOf) return s.allOf.map(typeOf).join(" & ");
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(" | ");
    if (t === "object" && s.additionalProperties) return "{ string: " + typeOf(s.additionalProperties) + " }";
    return (t || "object") + (s.format ? " (" + s.format + ")" : "");
  }
  // A schema as an indented sketch, following references a few levels deep.
  function sketch(s, depth, seen) {
    var lines = [];
    function walk(s, indent, d, seen) {
      var r = resolve(s);
      if (r.type === "array" || (Array.isArray(r.type) && r.type.indexOf("array") >= 0)) {
        lines.push(indent + "[ " + typeOf(r.items) + " ]");
        var item = resolve(r.items);
        if (item.properties && d < depth && !(r.items && r.items.$ref && seen[r.items.$ref])) {
          var s2 = Object.assign({}, seen); if (r.items && r.items.$ref) s2[r.items.$ref] = 1;
          walk(r.items, indent + "  ", d + 1, s2);
        }
        return;
      }
      if (!r.properties) { lines.push(indent + typeOf(s)); return; }
      var req = r.required || [];
      Object.keys(r.properties).forEach(function (k) {
        var p = r.properties[k];
        var line = indent + k + (req.indexOf(k) >= 0 ? "" : "?") + ": " + typeOf(p);
        var desc = p.description || resolve(p).description;
        if (desc && !p.$ref) line += "    // " + desc.split("\n")[0];
        lines.push(line);
        var pr = resolve(p);
        var ref = p.$ref || (p.items && p.items.$ref);
        var target = pr.type === "array" ? resolve(pr.items) : pr;
        if (target.properties && d < depth && !(ref && seen[ref])) {
          var s2 = Object.assign({}, seen); if (ref) s2[ref] = 1;
          walk(pr.type === "array" ? pr.items : p, indent + "    ", d + 1, s2);
        }
      });
    }
    walk(s, "", 0, seen || {});
    return lines.join("\n");
  }
  function schemaBlock(title, s) {
    var box = el("div");
    box.appendChild(el("h4", null, title));
    box.appendChild(el("pre", null, sketch(s, 3)));
    return box;
  }
  function operation(path, method, op) {
    var d = el("details", "op");
    var sum = el("summary");
    sum.appendChild(el("span", "method m-" + method, method));
    sum.appendChild(el("span", "path", path));
    if (op.summary) sum.appendChild(el("span", "muted", op.summary));
    d.appendChild(sum);
    var body = el("div", "body");
    if (op.description && op.description !== op.summary) body.appendChild(el("p", null, op.description));
    if (op.security && op.security.length) body.appendChild(el("p", "muted", "Authorization: Bearer <api key>"));
    var params = (op.parameters || []).map(function (p) { return p.$ref ? resolve(p) : p; });
    if (params.length) {
      body.appendChild(el("h4", null, "Parameters"));
      var t = el("table"), hr = el("tr");
      ["name", "in", "type", "required", "description"].forEach(function (h) { hr.appendChild(el("th", null, h)); });
      t.appendChild(hr);
      params.forEach(function (p) {
        var tr = el("tr");
        tr.appendChild(el("td", null, p.name));
        tr.appendChild(el("td", null, p.in));
        tr.appendChild(el("td", null, typeOf(p.schema)));
        tr.appendChild(el("td", null, p.required ? "yes" : "no"));
        tr.appendChild(el("td", null, p.description || ""));
        t.appendChild(tr);
      });
      var wrap = el("div", "table-wrap"); wrap.appendChild(t); body.appendChild(wrap);
    }
    if (op.requestBody) {
      var content = op.requestBody.content || {};
      Object.keys(content).forEach(function (ct) {
        body.appendChild(schemaBlock("Request body (" + ct + ")", content[ct].schema));
      });
    }
    var responses = op.responses || {};
    Object.keys(responses).forEach(function (code) {
      var r = responses[code];
      var content = r.content || {};
      var cts = Object.keys(content);
      if (!cts.length) { body.appendChild(el("p", null, code + " " + (r.description || ""))); return; }
      cts.forEach(function (ct) {
        body.appendChild(schemaBlock("Response " + code + " (" + ct + ")" + (r.description ? " — " + r.description : ""), content[ct].schema));
      });
    });
    d.appendChild(body);
    return d;
  }
  function render(doc) {
    spec = doc;
    spec.components = spec.components || {};
    spec.components.schemas = spec.components.schemas || {};
    root.textContent = "";
    var info = doc.info || {};
    root.appendChild(el("h2", null, (info.title || "API") + " " + (info.version || "")));
    if (info.description) root.appendChild(el("p", null, info.description));
    var byTag = {};
    Object.keys(doc.paths || {}).sort().forEach(function (path) {
      var item = doc.paths[path];
      ["get", "post", "put", "patch", "delete"].forEach(function (m) {
        if (!item[m]) return;
        var tag = (item[m].tags && item[m].tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push(operation(path, m, item[m]));
      });
    });
    Object.keys(byTag).sort().forEach(function (tag) {
      var sec = el("section", "tag");
      sec.id = "tag-" + tag;
      sec.appendChild(el("h3", null, tag));
      byTag[tag].forEach(function (o) { sec.appendChild(o); });
      root.appendChild(sec);
    });
    var names = Object.keys(spec.components.schemas).sort();
    if (names.length) {
      var sec = el("section", "schemas");
      sec.appendChild(el("h3", null, "Schemas"));
      names.forEach(function (n) {
        var d = el("details", "op");
        var s = el("summary"); s.appendChild(el("span", "path", n)); d.appendChild(s);
        var b = el("div", "body");
        var desc = spec.components.schemas[n].description;
        if (desc) b.appendChild(el("p", null, desc));
        b.appendChild(el("pre", null, sketch({ $ref: "#/components/schemas/" + n }, 1)));
        d.appendChild(b);
        sec.appendChild(d);
      });
      root.appendChild(sec);
    }
    root.setAttribute("data-ready", "1");
  }
  fetch("/openapi.json", { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
    .then(render)
    .catch(function (e) { root.textContent = "Could not load /openapi.json: " + e.message; root.setAttribute("data-ready", "error"); });
})();
