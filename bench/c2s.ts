// A minimal c2s client for the cluster benchmark (bench/cluster.ts): one TCP connection to the
// server, SASL ANONYMOUS, resource binding, then raw XML out and scanned stanzas in
// (bench/scan.ts). A real client for the server (a session like any other), without
// test/support/client.ts's full parse of every stanza: a benchmark that receives hundreds of
// thousands of copies on a 2-core machine must not take the cores the server needs.
import { connect, type Socket } from "node:net";
import { createScanner, type Seen } from "./scan.ts";

export interface C2S {
  /** The full JID the server bound. */
  jid: string;
  /** Writes raw XML (stanzas). Returns false when the socket's buffer is full. */
  write(xml: string): boolean;
  /** Called for every stanza received after binding. */
  onStanza: (stanza: Seen, at: number) => void;
  close(): void;
}

const SASL = "urn:ietf:params:xml:ns:xmpp-sasl";

/** Logs in anonymously on `domain` at host:port; rejects after `timeoutMs`. */
export function connectAnonymous(host: string, port: number, domain: string, timeoutMs = 10_000): Promise<C2S> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host, port });
    socket.setNoDelay(true);
    socket.setEncoding("utf8");
    const header = `<?xml version='1.0'?><stream:stream to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
    const fail = (why: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`c2s login on ${domain}: ${why}`));
    };
    const timer = setTimeout(() => fail(`no session after ${timeoutMs} ms (${step}; received: ${buffer.slice(-300)})`), timeoutMs);
    socket.on("error", (e) => fail(String(e)));
    socket.on("connect", () => socket.write(header));

    const client: C2S = {
      jid: "",
      write: (xml) => socket.write(xml),
      onStanza: () => {},
      close: () => socket.destroy(),
    };
    const scan = createScanner((s, at) => client.onStanza(s, at));
    // Each step waits for the end of what the server sends for it (the server never pipelines).
    let step: "features" | "auth" | "restarted" | "bind" | "online" = "features";
    let buffer = "";
    socket.on("data", (chunk: string) => {
      if (step === "online") return scan(chunk);
      buffer += chunk;
      if (step === "features" && buffer.includes("</stream:features>")) {
        if (!buffer.includes(">ANONYMOUS<")) return fail(`no SASL ANONYMOUS offered: ${buffer}`);
        buffer = "";
        step = "auth";
        socket.write(`<auth xmlns='${SASL}' mechanism='ANONYMOUS'/>`);
      } else if (step === "auth" && (buffer.includes("<success") || buffer.includes("<failure"))) {
        if (buffer.includes("<failure")) return fail(`SASL failure: ${buffer}`);
        buffer = "";
        step = "restarted";
        socket.write(header);
      } else if (step === "restarted" && buffer.includes("</stream:features>")) {
        buffer = "";
        step = "bind";
        socket.write(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>`);
      } else if (step === "bind" && buffer.includes("</iq>")) {
        const jid = /<jid>([^<]+)<\/jid>/.exec(buffer)?.[1];
        if (!jid) return fail(`binding failed: ${buffer}`);
        clearTimeout(timer);
        client.jid = jid;
        step = "online";
        const rest = buffer.slice(buffer.indexOf("</iq>") + 5);
        buffer = "";
        resolve(client);
        if (rest) scan(rest);
      }
    });
  });
}
