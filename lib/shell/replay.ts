// Replaying a recording (record.ts): every input goes to a fresh core, through
// the same runtime as in production, with the recorded `now` and `nonce`, and
// without a database. The core still asks for reads; nothing answers them here,
// because their answers are in the file as the "read" inputs that follow. Writes
// are dropped. The outputs are printed as the snapshot tests' transcript
// (test/helpers.ts): ">> " and the input, then "<< " and each stanza it caused.
// A "read" line's stanzas go under the input that asked for it (as the
// simulator shows them); `reads: true` prints the read as its own ">> (read …)" line.
//
//   bun run replay FILE [--reads]        (or: muc --replay FILE)
import { readFileSync } from "node:fs";
import { defaultConfig } from "../context.ts";
import type { Input } from "../service.ts";
import type { Store } from "../storage.ts";
import { decodeLine, type Recorded } from "./record.ts";
import { createRuntime, type Runtime } from "./runtime.ts";

export interface ReplayOptions {
  /** Show each storage answer as its own line instead of folding its stanzas into the input before it. */
  reads?: boolean;
}

/** The store of a replay: reads stay unanswered (the file has the answers), writes go nowhere. */
const replayStore: Store = {
  read: () => new Promise<never>(() => {}),
  write: () => {},
  flush: () => {},
  close: () => {},
};

const readLabel = (input: Extract<Input, { kind: "read" }>): string => {
  const r = input.read as { op: string; jid?: string; room?: string; query?: { room: string } };
  const subject = r.jid ?? r.room ?? r.query?.room;
  return `(read ${r.op}${subject ? ` ${subject}` : ""})`;
};

/** The transcript lines of a recording's text; throws naming the line it cannot read. */
export function replay(text: string, options: ReplayOptions = {}): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  let runtime: Runtime | undefined;
  let current: Recorded | undefined;
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    let decoded;
    try {
      decoded = decodeLine(line);
    } catch (error) {
      // A process killed mid-write leaves a partial last line: say so, and stop there.
      if (i === lines.length - 1 && !text.endsWith("\n")) return void out.push(`## line ${i + 1} is cut short: ignored`);
      throw new Error(`line ${i + 1}: ${(error as Error).message}`);
    }
    if (decoded.type === "header") {
      // A boot of the service: a fresh core, as the process had then.
      if (runtime) out.push("## restart");
      runtime = createRuntime({
        store: replayStore,
        config: { ...defaultConfig, ...decoded.header.config },
        clock: () => current!.now,
        nonce: () => current!.nonce,
        onCrash: (_input, error) => out.push(`## internal error: ${(error as Error).message}`),
      });
      return;
    }
    if (!runtime) throw new Error(`line ${i + 1}: an input before any header; is this a bun-muc recording?`);
    current = decoded.recorded;
    const { input } = current;
    if (input.kind === "stanza") out.push(`>> ${input.stanza}`);
    else if (input.kind !== "read") out.push(`>> (${input.kind})`);
    else if (options.reads) out.push(`>> ${readLabel(input)}`);
    for (const stanza of runtime.step(input)) out.push(`<< ${stanza}`);
  });
  return out;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const reads = args.includes("--reads");
  const files = args.filter((a) => a !== "--reads");
  if (files.length !== 1 || files[0]!.startsWith("-")) {
    console.error("usage: bun run replay FILE [--reads]");
    process.exit(2);
  }
  try {
    process.stdout.write(replay(readFileSync(files[0]!, "utf8"), { reads }).join("\n") + "\n");
  } catch (error) {
    console.error(`replay: ${(error as Error).message}`);
    process.exit(1);
  }
}
