// Fault injection only (`npm run test:faults`, scenario clock-skew): loaded with `node --import` into a service
// process, it moves that process's wall clock by OUTFLOW_CLOCK_SKEW_MS (Date.now() and `new Date()`), the way a
// host whose NTP drifted would. Monotonic timers (setTimeout, performance.now) are untouched, as on a real host.
// Plain JavaScript: it runs before any TypeScript loader is registered.
const skew = Number(process.env.OUTFLOW_CLOCK_SKEW_MS ?? 0);
if (!Number.isFinite(skew)) throw new Error(`OUTFLOW_CLOCK_SKEW_MS must be a number of milliseconds, got ${skew}`);

const RealDate = Date;
class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() + skew);
    else super(...args);
  }
  static now() {
    return RealDate.now() + skew;
  }
}
globalThis.Date = SkewedDate;
