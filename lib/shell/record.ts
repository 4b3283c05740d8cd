// Recording the core's inputs (MUC_RECORD=FILE), in a format replay.ts reads back.
//
// The file is JSON Lines, UTF-8, appended to, never rewritten:
//
//   {"format":"bun-muc-record","version":1,"started":…,"software":"bun-muc 0.1.0","config":{…}}
//   {"kind":"stanza","now":1767268800000,"nonce":"k3x9-1","stanza":"<presence from=… to=…>…</presence>"}
//   {"kind":"read","now":…,"nonce":…,"read":{"op":"load-room","jid":"room@muc.example.org","history":100},"result":null}
//   {"kind":"tick","now":…,"nonce":…}
//   {"kind":"shutdown","now":…,"nonce":…}
//
// A header line starts every boot of the service (a file may hold several):
// the core's configuration as it was given (replay needs it, the per-boot
// forwardKey included). Each other line is one input exactly as the runtime
// handed it to the core, with the `now` and `nonce` of its context. Stanzas are
// their XML; inside "read" lines, which carry storage's answers (plain data),
// any element appears as {"$xml": "<…/>"}.
//
// Version 1 is this layout. A change that an older replay could misread gets a
// new version; replay refuses versions it does not know.
//
// A recording holds everything (bodies, real JIDs, the forward key): the file
// is created with mode 0600 and should be handled like the database.
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import type { Context, ServiceConfig } from "../context.ts";
import { VERSION } from "../disco.ts";
import type { Input } from "../service.ts";
import { parseXml, type Element } from "../stanza.ts";

export const RECORD_FORMAT = "bun-muc-record";
export const RECORD_VERSION = 1;

export interface RecordHeader {
  format: typeof RECORD_FORMAT;
  version: number;
  started: number;
  software: string;
  config: ServiceConfig;
}

/** One recorded input with the context it was handled in. */
export interface Recorded {
  input: Input;
  now: number;
  nonce: string;
}

const isElement = (v: unknown): v is Element =>
  typeof v === "object" && v !== null && typeof (v as Element).name === "string" && Array.isArray((v as Element).children) && typeof (v as Element).attrs === "object";

const elementsAsXml = (_key: string, value: unknown) => (isElement(value) ? { $xml: value.toString() } : value);

const xmlAsElements = (_key: string, value: unknown) => {
  if (typeof value !== "object" || value === null) return value;
  const x = (value as { $xml?: unknown }).$xml;
  return typeof x === "string" && Object.keys(value).length === 1 ? parseXml(x) : value;
};

export function headerLine(config: ServiceConfig, started: number): string {
  const header: RecordHeader = { format: RECORD_FORMAT, version: RECORD_VERSION, started, software: `bun-muc ${VERSION}`, config };
  return JSON.stringify(header);
}

/** One input as a line (without the newline). Stanzas, the common case, skip the generic walk. */
export function encodeInput(input: Input, ctx: Pick<Context, "now" | "nonce">): string {
  const head = `{"kind":"${input.kind}","now":${ctx.now},"nonce":${JSON.stringify(ctx.nonce)}`;
  switch (input.kind) {
    case "stanza":
      return `${head},"stanza":${JSON.stringify(input.stanza.toString())}}`;
    case "read":
      return `${head},"read":${JSON.stringify(input.read, elementsAsXml)},"result":${JSON.stringify(input.result ?? null, elementsAsXml)}}`;
    case "read-failed":
      return `${head},"read":${JSON.stringify(input.read, elementsAsXml)}}`;
    case "connection":
      return `${head},"online":${input.online}}`;
    default:
      return `${head}}`;
  }
}

export type Line = { type: "header"; header: RecordHeader } | { type: "input"; recorded: Recorded };

/** Parse one line of a recording; throws with a reason on anything it does not understand. */
export function decodeLine(line: string): Line {
  const value = JSON.parse(line, xmlAsElements) as Record<string, unknown>;
  if (value.format !== undefined) {
    if (value.format !== RECORD_FORMAT) throw new Error(`not a bun-muc recording (format "${value.format}")`);
    if (value.version !== RECORD_VERSION) throw new Error(`recording format version ${value.version} is not supported (this replay reads version ${RECORD_VERSION})`);
    return { type: "header", header: value as unknown as RecordHeader };
  }
  const { kind, now, nonce } = value;
  if (typeof now !== "number" || typeof nonce !== "string") throw new Error("an input line needs a numeric now and a string nonce");
  switch (kind) {
    case "stanza": {
      if (typeof value.stanza !== "string") throw new Error("a stanza line needs its stanza as XML");
      return { type: "input", recorded: { input: { kind, stanza: parseXml(value.stanza) }, now, nonce } };
    }
    case "read":
      if (typeof value.read !== "object" || value.read === null) throw new Error("a read line needs its read");
      return { type: "input", recorded: { input: { kind, read: value.read, result: value.result } as Input, now, nonce } };
    case "read-failed":
      if (typeof value.read !== "object" || value.read === null) throw new Error("a read-failed line needs its read");
      return { type: "input", recorded: { input: { kind, read: value.read } as Input, now, nonce } };
    case "connection":
      if (typeof value.online !== "boolean") throw new Error("a connection line needs online: true or false");
      return { type: "input", recorded: { input: { kind, online: value.online }, now, nonce } };
    case "tick":
    case "shutdown":
      return { type: "input", recorded: { input: { kind }, now, nonce } };
    default:
      throw new Error(`unknown input kind ${JSON.stringify(kind)}`);
  }
}

export interface Recorder {
  /** The runtime's onInput hook. */
  onInput(input: Input, ctx: Context): void;
  /** Write what is buffered (the recorder also does this on a timer and when the buffer fills). */
  flush(): void;
  /** Flush, fsync and close the file. */
  close(): void;
  /** Bytes written (or buffered) so far, header included. */
  bytes(): number;
}

export interface RecorderOptions {
  /** Buffered bytes that trigger a write at once (default 64 KiB). */
  bufferBytes?: number;
  /** Longest a line waits in the buffer, in ms (default 200). */
  flushMs?: number;
  /** Called once if writing fails; recording stops, the service goes on. */
  onError?: (error: Error) => void;
}

/**
 * Append to `path` (created with mode 0600). Lines are buffered and written
 * with one write(2) per batch or every flushMs; a process exit flushes what is
 * left, so only a hard kill can lose the last fraction of a second.
 */
export function createRecorder(path: string, config: ServiceConfig, started: number, options: RecorderOptions = {}): Recorder {
  const limit = options.bufferBytes ?? 64 * 1024;
  let fd: number | undefined = openSync(path, "a", 0o600);
  let buffer: string[] = [];
  let buffered = 0;
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (fd === undefined || buffer.length === 0) return;
    const chunk = buffer.join("");
    buffer = [];
    buffered = 0;
    try {
      writeSync(fd, chunk);
    } catch (error) {
      const failed = fd;
      fd = undefined;
      try {
        closeSync(failed);
      } catch {}
      options.onError?.(error as Error);
    }
  };
  const push = (line: string) => {
    if (fd === undefined) return;
    const text = line + "\n";
    buffer.push(text);
    buffered += text.length;
    total += Buffer.byteLength(text);
    if (buffered >= limit) flush();
    else if (!timer) {
      timer = setTimeout(flush, options.flushMs ?? 200);
      timer.unref?.();
    }
  };
  const onExit = () => flush();
  process.on("exit", onExit);

  push(headerLine(config, started));
  return {
    onInput: (input, ctx) => push(encodeInput(input, ctx)),
    flush,
    close() {
      flush();
      process.off("exit", onExit);
      if (fd === undefined) return;
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
        fd = undefined;
      }
    },
    bytes: () => total,
  };
}
