// Command-line numbers for the benchmarks: an integer option within its bounds, or a
// clear message and exit code 2 (a usage error, not a broken benchmark).

/** `args[name]` as an integer from `min` to `max`, else exit 2 naming the option. */
export function intArg(args, name, min, max) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be an integer from ${min} to ${max}`);
    process.exit(2);
  }
  return n;
}
