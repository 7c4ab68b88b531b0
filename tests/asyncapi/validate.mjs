// Parse an AsyncAPI document with the AsyncAPI project's own parser; print its diagnostics as JSON.
// Exit 1 when any is an error. Usage: node validate.mjs FILE
import { readFileSync } from "node:fs";
import { Parser } from "@asyncapi/parser";

const text = readFileSync(process.argv[2], "utf8");
const { document, diagnostics } = await new Parser().parse(text);
const found = diagnostics.map((d) => ({ code: d.code, message: d.message, severity: d.severity, path: d.path }));
console.log(JSON.stringify({ parsed: document !== undefined, diagnostics: found }));
process.exit(found.some((d) => d.severity === 0) ? 1 : 0);
