/** The simulation's one way to wait: resolves after `ms` (at once when `ms` is zero or past). */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
