// The operator's settings, next to lib/config.ts (which holds what the core
// needs): where to serve metrics and health, how to log, where to record
// inputs. Parsed the same way: a bad value is one line naming the variable.
import { LEVELS, type Format, type Level } from "./log.ts";

export interface OpsSettings {
  /** host:port for /metrics and /health; undefined: no HTTP listener. */
  http?: { hostname: string; port: number };
  logLevel: Level;
  logFormat: Format;
  /** Append every input of the core to this file (record.ts). */
  record?: string;
}

export const OPS_DEFAULTS: Readonly<Record<string, string>> = {
  MUC_HTTP: "",
  MUC_LOG_LEVEL: "info",
  MUC_LOG_FORMAT: "text",
  MUC_RECORD: "",
};

/** "127.0.0.1:9090", "[::1]:9090", "localhost:0" (port 0: any free port). */
export function parseHostPort(value: string): { hostname: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^:\[\]\s]+)):(\d{1,5})$/i.exec(value.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { hostname: m[1] ?? m[2]!, port };
}

export function parseOpsEnv(env: Record<string, string | undefined>): { ok: true; ops: OpsSettings } | { ok: false; error: string } {
  const ops: OpsSettings = { logLevel: "info", logFormat: "text" };
  const http = env.MUC_HTTP?.trim();
  if (http) {
    const parsed = parseHostPort(http);
    if (!parsed) return { ok: false, error: `MUC_HTTP must be host:port, e.g. 127.0.0.1:9090, got "${env.MUC_HTTP}"` };
    ops.http = parsed;
  }
  const level = env.MUC_LOG_LEVEL?.trim().toLowerCase();
  if (level) {
    if (!(LEVELS as readonly string[]).includes(level)) return { ok: false, error: `MUC_LOG_LEVEL must be one of ${LEVELS.join(", ")}, got "${env.MUC_LOG_LEVEL}"` };
    ops.logLevel = level as Level;
  }
  const format = env.MUC_LOG_FORMAT?.trim().toLowerCase();
  if (format) {
    if (format !== "text" && format !== "json") return { ok: false, error: `MUC_LOG_FORMAT must be text or json, got "${env.MUC_LOG_FORMAT}"` };
    ops.logFormat = format;
  }
  if (env.MUC_RECORD?.trim()) ops.record = env.MUC_RECORD.trim();
  return { ok: true, ops };
}
