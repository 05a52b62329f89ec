// Bench-only preload (node --import): stamps every response of this process with when its
// request reached the server's handler and when its head was written, on CLOCK_MONOTONIC in µs
// (`x-bench-at: <in>,<out>`), so a load generator on the same machine can split a request's
// latency into its own send lag, the way in (kernel and the server's queue), the server's
// handling and the way back (kernel and its own read delay). Used by bench/stall-finder.ts.
import { subscribe } from 'node:diagnostics_channel';
import { ServerResponse } from 'node:http';
import process from 'node:process';

const IN = Symbol('bench.in');
const nowUs = () => process.hrtime.bigint() / 1000n;
subscribe('http.server.request.start', ({ response }) => {
  response[IN] = nowUs();
});
const writeHead = ServerResponse.prototype.writeHead;
ServerResponse.prototype.writeHead = function (...args) {
  if (!this.headersSent && this[IN] !== undefined) this.setHeader('x-bench-at', `${this[IN]},${nowUs()}`);
  return writeHead.apply(this, args);
};
