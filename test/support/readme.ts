// The component snippets the README shows, read out of README.md itself, so the test bed runs
// exactly what the documentation tells people to paste (editing the README changes the tests).
//
// A snippet sits between `<!-- snippet: NAME (comment) -->` and `<!-- /snippet -->` and holds one fenced
// code block. Its example values (domain muc.example.org, secret "secret", port 5347) are the
// placeholders the test bed substitutes with its own.
import { readFileSync } from "node:fs";
import { join } from "node:path";

export const README = join(import.meta.dir, "..", "..", "README.md");

export const PLACEHOLDERS = { domain: "muc.example.org", secret: "secret", port: 5347 } as const;

/** The code inside the fenced block between the snippet's markers. */
export function readmeSnippet(name: string, text = readFileSync(README, "utf8")): string {
  const start = `<!-- snippet: ${name} `;
  const from = text.indexOf(start);
  const to = text.indexOf("<!-- /snippet -->", from);
  if (from < 0 || to < 0) throw new Error(`README.md has no snippet "${name}" (between "${start}" and "<!-- /snippet -->")`);
  const block = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(from + start.length, to));
  if (!block) throw new Error(`README.md snippet "${name}" has no fenced code block`);
  return block[1]!;
}

/** The snippet with the test bed's domain, secret and port in place of the README's examples. */
export function componentSnippet(
  name: "prosody-component" | "ejabberd-component",
  values: { domain: string; secret: string; port: number },
): string {
  const snippet = readmeSnippet(name);
  for (const [what, placeholder] of [
    ["domain", PLACEHOLDERS.domain],
    ["secret", `"${PLACEHOLDERS.secret}"`],
  ] as const)
    if (!snippet.includes(placeholder)) throw new Error(`README.md snippet "${name}" no longer shows the ${what} as ${placeholder}`);
  return snippet
    .replaceAll(PLACEHOLDERS.domain, values.domain)
    .replaceAll(`"${PLACEHOLDERS.secret}"`, JSON.stringify(values.secret))
    .replace(new RegExp(`\\b${PLACEHOLDERS.port}\\b`, "g"), String(values.port));
}
