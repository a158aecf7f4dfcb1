// Preloaded (node --require) into a process a benchmark measures: when the process exits, it
// writes its own peak resident set size (getrusage's ru_maxrss, exact, unlike polling /proc) to
// stderr as `peak-rss-bytes=<n>`.
const { writeSync } = require('node:fs');

process.on('exit', () => {
  writeSync(2, `\npeak-rss-bytes=${process.resourceUsage().maxRSS * 1024}\n`);
});
