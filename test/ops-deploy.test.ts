// The deployment files say what the README promises: the systemd unit is
// hardened and keeps the database in its state directory; the container file
// copies what exists and runs as a non-root user. With systemd-analyze on the
// machine, the unit is also checked by systemd itself.
import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = `${import.meta.dir}/..`;
const unit = readFileSync(`${root}/deploy/bun-muc.service`, "utf8");
const settings = (key: string) => [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]);

test("the systemd unit: a dynamic user, its state directory for the database, a read-only system", () => {
  expect(settings("DynamicUser")).toEqual(["yes"]);
  expect(settings("ProtectSystem")).toEqual(["strict"]);
  expect(settings("StateDirectory")).toEqual(["bun-muc"]);
  expect(settings("NoNewPrivileges")).toEqual(["yes"]);
  expect(settings("Environment")).toContain("MUC_DATABASE=/var/lib/bun-muc/muc.sqlite");
  expect(settings("ExecStart")).toEqual(["/usr/local/bin/muc"]);
  expect(settings("KillSignal")).toEqual(["SIGTERM"]);
});

test.skipIf(!Bun.which("systemd-analyze"))("systemd-analyze verify accepts the unit", () => {
  const dir = mkdtempSync(join(tmpdir(), "muc-unit-"));
  try {
    // verify wants the executable to exist: point it at one that does.
    const path = join(dir, "bun-muc.service");
    writeFileSync(path, unit.replace("ExecStart=/usr/local/bin/muc", `ExecStart=${process.execPath}`).replace("EnvironmentFile=/etc", "EnvironmentFile=-/etc"));
    const run = Bun.spawnSync(["systemd-analyze", "verify", path], { stderr: "pipe" });
    expect(run.stderr.toString()).toBe("");
    expect(run.exitCode).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the container file copies files that exist, and runs the executable as a non-root user", () => {
  const file = readFileSync(`${root}/deploy/Containerfile`, "utf8");
  for (const m of file.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) for (const src of m[1]!.split(" ")) expect(existsSync(`${root}/${src}`)).toBe(true);
  expect(file).toMatch(/^USER (?!0\b|root)\S+$/m);
  expect(file).toContain("bun build --compile index.ts");
  expect(file).toContain("ENV MUC_DATABASE=/var/lib/bun-muc/muc.sqlite");
});
