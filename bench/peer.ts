// A loopback peer that plays the XMPP server for one external component (XEP-0114):
// it listens on 127.0.0.1, accepts the component's stream, checks its handshake
// (SHA-1 of stream id + secret), then lets the benchmark write stanzas to the
// component and see, stanza by stanza, what the component sends back.
//
// What comes back is scanned, not parsed (bench/scan.ts), which keeps the peer
// cheap, so the component, not the peer, is what the benchmark measures.
import { createHash } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { createScanner, type Seen } from "./scan.ts";

export type { Seen };

export interface Peer {
  port: number;
  /** Resolves when a component has connected and authenticated. */
  online(): Promise<void>;
  /** Write raw XML (stanzas) to the component. Returns false when the socket's buffer is full. */
  write(xml: string): boolean;
  /** Called for every stanza the component sends. */
  onStanza: (stanza: Seen, at: number) => void;
  /** Bytes received from the component since it authenticated. */
  bytesIn(): number;
  /** Stop and start reading from the component (a server that falls behind). */
  pause(): void;
  resume(): void;
  /** Bytes written to the component that its side has not read yet (still in our buffer). */
  unsent(): number;
  close(): void;
}

export function startPeer(options: { domain: string; secret: string }): Promise<Peer> {
  return new Promise((resolveListening) => {
    let socket: Socket | undefined;
    let authenticated = false;
    let bytes = 0;
    let waiters: (() => void)[] = [];
    const peer: Peer = {
      port: 0,
      online: () => (authenticated ? Promise.resolve() : new Promise((r) => waiters.push(r))),
      write: (xml) => socket!.write(xml),
      onStanza: () => {},
      bytesIn: () => bytes,
      pause: () => void socket?.pause(),
      resume: () => void socket?.resume(),
      unsent: () => socket?.writableLength ?? 0,
      close: () => {
        socket?.destroy();
        server.close();
      },
    };

    const server: Server = createServer((s) => {
      socket = s;
      s.setNoDelay(true);
      s.setEncoding("utf8");
      const streamId = `bench-${Math.random().toString(36).slice(2)}`;
      let buffer = "";
      const scan = createScanner((stanza, at) => peer.onStanza(stanza, at));
      s.on("error", () => {});
      s.on("data", (chunk: string) => {
        if (!authenticated) {
          buffer += chunk;
          if (buffer.includes("<stream:stream") && !buffer.includes("<handshake")) {
            if (!buffer.includes(">", buffer.indexOf("<stream:stream"))) return;
            if (!s.writableEnded && !(s as { headerSent?: boolean }).headerSent) {
              (s as { headerSent?: boolean }).headerSent = true;
              s.write(`<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='${options.domain}' id='${streamId}'>`);
            }
          }
          const start = buffer.indexOf("<handshake>");
          const end = buffer.indexOf("</handshake>");
          if (start === -1 || end === -1) return;
          const digest = buffer.slice(start + "<handshake>".length, end);
          const expected = createHash("sha1").update(streamId + options.secret).digest("hex");
          if (digest !== expected) {
            s.end("<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
            return;
          }
          s.write("<handshake/>");
          authenticated = true;
          buffer = buffer.slice(end + "</handshake>".length);
          for (const wake of waiters) wake();
          waiters = [];
          if (buffer) scan(buffer);
          return;
        }
        bytes += chunk.length;
        scan(chunk);
      });
    });
    server.listen(0, "127.0.0.1", () => {
      peer.port = (server.address() as { port: number }).port;
      resolveListening(peer);
    });
  });
}

/** CPU seconds (user + system) and resident memory of a process, from /proc. */
export function processUsage(pid: number): { cpu: number; rss: number } {
  const stat = require("node:fs").readFileSync(`/proc/${pid}/stat`, "utf8") as string;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  return { cpu: ticks / 100, rss };
}
