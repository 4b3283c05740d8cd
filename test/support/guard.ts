// A throwaway server must never outlive the process that started it: not after Ctrl-C, not
// after the terminal closes (SIGHUP), not after `kill -9`, not after a crashed test run.
//
// spawnGuarded() starts the server under a tiny sh watchdog whose stdin is a pipe from us. The
// server runs in its own session (setsid), so terminal signals reach only us; the watchdog
// ignores them too, and waits. When the pipe closes (we called stop(), or we died and the kernel
// closed our end), it sends SIGTERM to the server's whole process group, SIGKILL after a grace
// period, and, if we are gone, deletes the server's temp dir itself. Nothing needs to run in our
// process for that, which is why it also covers SIGKILL.
import { spawn, type Subprocess } from "bun";
import { rmSync } from "node:fs";

const WATCHDOG = `
# (dash: no "--" in kill; "kill -SIG -PID" signals the process group PID)
dir=$1; grace=$2; shift 2
# Is a live process left in the server's process group? (Not "kill -0 -PGID": that also counts
# zombies, and a server whose leader exits first leaves its children to an init that may be slow
# to reap them.)
alive() {
  for s in /proc/[0-9]*/stat; do
    { read -r l <"$s"; } 2>/dev/null || continue
    l=\${l##*) } # after "pid (comm) ": state ppid pgrp ...
    case $l in Z* | X*) continue ;; esac
    g=\${l#* }
    g=\${g#* }
    [ "\${g%% *}" = "$pid" ] && return 0
  done
  return 1
}
exec 3<&0 # our stdin, the pipe (sh gives background jobs /dev/null as stdin)
setsid "$@" </dev/null 3<&- &
pid=$!
trap '' INT HUP
trap 'kill -TERM "-$pid" 2>/dev/null' TERM
(
  cat <&3 >/dev/null
  kill -TERM "-$pid" 2>/dev/null
  i=0
  while alive; do
    i=$((i + 1))
    [ "$i" -eq "$grace" ] && kill -KILL "-$pid" 2>/dev/null
    sleep 0.1
  done
) >/dev/null 2>&1 &
reader=$!
# From here on we print nothing: dash reports a job killed by a signal ("Terminated") on stderr,
# and with our parent gone that write would kill us with SIGPIPE before we clean up.
exec >/dev/null 2>&1
wait "$pid"
code=$?
# The group leader is gone; let the rest of its group go too.
i=0
while alive; do
  i=$((i + 1))
  [ "$i" -eq "$((grace * 2))" ] && kill -KILL "-$pid" 2>/dev/null
  sleep 0.05
done
kill "$reader" 2>/dev/null
# Our parent died without cleaning up: the temp dir is ours to delete.
kill -0 "$PPID" 2>/dev/null || rm -rf -- "$dir"
exit "$code"
`;

export type Guarded = {
  proc: Subprocess<"pipe", "pipe", "pipe">;
  /** Everything the server wrote on stdout/stderr so far. */
  output(): string;
  running(): boolean;
  /** Stops the server (SIGTERM to its process group, SIGKILL after graceMs), waits, deletes `dir`. */
  stop(): Promise<void>;
};

export function spawnGuarded(
  cmd: string[],
  opts: { dir: string; cwd?: string; env?: Record<string, string | undefined>; graceMs?: number },
): Guarded {
  const grace = Math.max(1, Math.round((opts.graceMs ?? 3000) / 100));
  const proc = spawn(["sh", "-c", WATCHDOG, "watchdog", opts.dir, String(grace), ...cmd], {
    cwd: opts.cwd ?? opts.dir,
    env: opts.env ?? process.env,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = collectOutput(proc);
  let stopping: Promise<void> | undefined;
  return {
    proc,
    output,
    running: () => proc.exitCode === null && proc.signalCode === null,
    stop: () =>
      (stopping ??= (async () => {
        try {
          proc.stdin.end();
        } catch {
          // already closed
        }
        await proc.exited;
        rmSync(opts.dir, { recursive: true, force: true });
      })()),
  };
}

/** Everything a child prints on stdout and stderr, so far (read as it comes, so its pipes never fill). */
export function collectOutput(proc: { stdout: ReadableStream<Uint8Array>; stderr: ReadableStream<Uint8Array> }): () => string {
  let output = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) output += dec.decode(chunk, { stream: true });
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  return () => output;
}
