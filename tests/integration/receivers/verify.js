// verify.js PORT LOG SECRETS_JSON -- a webhook receiver that verifies every request with the
// Standard Webhooks reference library (npm standardwebhooks) and each of the given secrets,
// answers 204 when one of them verifies it and 401 when none does, and appends to LOG one JSON
// line per request: its headers, its body, and which secrets verified it.
"use strict";
const http = require("http");
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const [port, log, secretsJson] = process.argv.slice(2);
const hooks = JSON.parse(secretsJson).map((s) => new Webhook(s));

http
  .createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const verifiedBy = [];
      const errors = [];
      hooks.forEach((h, i) => {
        try {
          h.verify(body, req.headers);
          verifiedBy.push(i);
        } catch (e) {
          errors.push(String(e.message));
        }
      });
      fs.appendFileSync(log, JSON.stringify({ method: req.method, url: req.url, headers: req.headers,
        body: body.toString("utf8"), verified_by: verifiedBy, errors }) + "\n");
      res.writeHead(verifiedBy.length ? 204 : 401);
      res.end();
    });
  })
  .listen(Number(port), "127.0.0.1", () => console.log("listening " + port));
