// The operator's HTTP listener (MUC_HTTP=host:port, off by default), with Bun.serve:
//   GET /metrics   the Prometheus text exposition (metrics.ts, observe.ts)
//   GET /health    200 "ok", or 503 and one line saying why (not connected, storage not writable)
// Nothing else: every other path is 404, every other method 405. It serves no
// room data; bind it to loopback or a private interface.
import { CONTENT_TYPE } from "./metrics.ts";
import type { Health } from "./observe.ts";

export interface HttpOptions {
  hostname: string;
  /** 0: any free port (see `url` for the one bound). */
  port: number;
  metrics: () => string;
  health: () => Health | Promise<Health>;
}

export interface HttpListener {
  /** http://host:port, as bound. */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export function startHttp(options: HttpOptions): HttpListener {
  const server = Bun.serve({
    hostname: options.hostname,
    port: options.port,
    async fetch(request) {
      const { pathname } = new URL(request.url);
      if (pathname !== "/metrics" && pathname !== "/health") return new Response("not found: try /metrics or /health\n", { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
      if (pathname === "/metrics") return new Response(options.metrics(), { headers: { "content-type": CONTENT_TYPE } });
      const health = await options.health();
      return new Response(`${health.reason.replace(/\n/g, " ")}\n`, {
        status: health.ok ? 200 : 503,
        headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
      });
    },
    error: (error) => new Response(`internal error: ${error.message}\n`, { status: 500 }),
  });
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  return {
    url: `http://${host}:${server.port}`,
    port: server.port!,
    stop: () => server.stop(true),
  };
}
