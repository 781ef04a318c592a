// Preloaded into the action's process (NODE_OPTIONS=--require) to write down its peak resident set and CPU time when it exits, and to end a run that outlives the bench's patience, since runAction does not hand out the child.
'use strict';
const { writeFileSync } = require('node:fs');

const out = process.env.BENCH_PROBE_OUT;
const timeoutMs = Number(process.env.BENCH_PROBE_TIMEOUT_MS ?? 0);
if (out) {
  let timedOut = false;
  // 'exit' handlers must be synchronous; the action's own process.exit() still runs them.
  process.on('exit', (code) => {
    const cpu = process.cpuUsage();
    writeFileSync(out, JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, cpuMs: (cpu.user + cpu.system) / 1000, timeOrigin: performance.timeOrigin, code, timedOut }));
  });
  if (timeoutMs > 0) {
    // unref: a run that finishes in time must not be held open by this timer.
    setTimeout(() => {
      timedOut = true;
      process.exit(124);
    }, timeoutMs).unref();
  }
}
