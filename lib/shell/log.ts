// The service's log: levels (MUC_LOG_LEVEL) and two formats (MUC_LOG_FORMAT).
// Every event is one line: in "text", the sentence a person reads (what the
// tests and the journal show); in "json", one object with the time, the level,
// a stable event name, the sentence and the event's fields, for a log pipeline.
//
// Privacy rule, kept by the callers (lib/shell/observe.ts, index.ts): at info
// level and above no message body and no real JID appears in a line; those go
// to debug, which an operator turns on deliberately.

export const LEVELS = ["debug", "info", "warn", "error"] as const;
export type Level = (typeof LEVELS)[number];
export type Format = "text" | "json";

export type Fields = Record<string, string | number | boolean | undefined>;

/** Where formatted lines go; the level lets a sink route or prefix them. */
export type Sink = (line: string, level: Level) => void;

export interface Logger {
  readonly level: Level;
  /** Whether a line at this level would be written (to skip building costly fields). */
  enabled(level: Level): boolean;
  debug(event: string, message: string, fields?: Fields): void;
  info(event: string, message: string, fields?: Fields): void;
  warn(event: string, message: string, fields?: Fields): void;
  error(event: string, message: string, fields?: Fields): void;
}

export interface LoggerOptions {
  level?: Level;
  format?: Format;
  sink?: Sink;
  /** For the json "time" field (tests pin it). */
  clock?: () => number;
}

/** stderr, as before: "[muc] " and, for warnings and errors, the level. */
export const stderrSink =
  (format: Format): Sink =>
  (line, level) =>
    console.error(format === "json" ? line : level === "warn" || level === "error" ? `[muc] ${level}: ${line}` : `[muc] ${line}`);

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? "info";
  const format = options.format ?? "text";
  const sink = options.sink ?? stderrSink(format);
  const clock = options.clock ?? Date.now;
  const min = LEVELS.indexOf(level);
  const enabled = (l: Level) => LEVELS.indexOf(l) >= min;

  const write = (l: Level, event: string, message: string, fields: Fields = {}) => {
    if (!enabled(l)) return;
    if (format === "json") {
      const record: Record<string, unknown> = { time: new Date(clock()).toISOString(), level: l, event, msg: message };
      for (const [k, v] of Object.entries(fields)) if (v !== undefined && !(k in record)) record[k] = v;
      sink(JSON.stringify(record), l);
    } else {
      // One line even for a stack trace: a journal shows each line as its own entry.
      const stack = typeof fields.stack === "string" ? ` | ${fields.stack.replace(/\s*\n\s*/g, " | ")}` : "";
      sink(message.replace(/\n/g, " ") + stack, l);
    }
  };

  return {
    level,
    enabled,
    debug: (e, m, f) => write("debug", e, m, f),
    info: (e, m, f) => write("info", e, m, f),
    warn: (e, m, f) => write("warn", e, m, f),
    error: (e, m, f) => write("error", e, m, f),
  };
}
