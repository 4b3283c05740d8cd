// Which XMPP servers the integration and end-to-end suites run against, and starting one by name.
//
// MUC_TEST_SERVERS=prosody,ejabberd (the default) picks them; a server that is not installed is
// skipped with a warning, or fails the run when CI is set (so CI never passes by skipping).
import { ejabberdUnavailable, startEjabberd } from "./ejabberd.ts";
import { prosodyAvailable, startProsody } from "./prosody.ts";
import { SERVER_KINDS, type ServerKind, type ServerOptions, type XmppServer } from "./server.ts";

export { SERVER_KINDS, type ServerKind, type ServerOptions, type XmppServer };

/** Why `kind` cannot run here, or undefined when it can. */
export function serverUnavailable(kind: ServerKind): string | undefined {
  if (kind === "prosody") return prosodyAvailable() ? undefined : "prosody is not on PATH (apt-get install -y prosody)";
  return ejabberdUnavailable();
}

export function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<XmppServer> {
  return kind === "prosody" ? startProsody(opts) : startEjabberd(opts);
}

export function parseServerKind(name: string): ServerKind {
  const kind = name.trim().toLowerCase();
  if (!(SERVER_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown XMPP server "${name}" (known: ${SERVER_KINDS.join(", ")})`);
  return kind as ServerKind;
}

/** The servers chosen by MUC_TEST_SERVERS (default: all), each with whether it can run here. */
export function serversUnderTest(env: Record<string, string | undefined> = process.env): { kind: ServerKind; available: boolean }[] {
  const chosen = (env.MUC_TEST_SERVERS ?? SERVER_KINDS.join(",")).split(",").filter((s) => s.trim()).map(parseServerKind);
  return chosen.map((kind) => {
    const why = serverUnavailable(kind);
    if (why) {
      if (env.CI) throw new Error(`${kind} cannot run (${why}), but CI is set: its integration tests would be skipped`);
      if (!warned.has(kind)) console.warn(`SKIPPING the ${kind} integration tests: ${why}`);
      warned.add(kind);
    }
    return { kind, available: !why };
  });
}
const warned = new Set<ServerKind>();
