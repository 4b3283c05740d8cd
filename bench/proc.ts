// CPU time from /proc, for benchmarks that measure processes they did not start themselves.
import { readdirSync, readFileSync } from "node:fs";

/** CPU seconds of a process so far, in user space and in the kernel (system calls: sockets, files). */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100 }; // utime, stime (fields 14 and 15)
}

/** The pids of the processes named `comm` whose command line contains `needle`. */
export function findProcesses(comm: string, needle: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== comm) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * CPU seconds the whole machine has been busy so far (all cores, everyone's processes), and
 * stolen (a virtual machine's cores running someone else's machine), from /proc/stat.
 */
export function machineTimes(): { busy: number; steal: number } {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks as number[];
  return { busy: (user! + nice! + system! + irq! + softirq!) / 100, steal: steal! / 100 };
}
