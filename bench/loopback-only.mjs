// Preload (`node --import ./bench/loopback-only.mjs`) for servers that bind every interface by
// default (Portkey's start-server calls serve({ port }) with no host): a listen() given a port
// but no host binds 127.0.0.1 instead, so nothing the benchmark starts is reachable off-box.
// Plain JavaScript, so the peer gateway runs without the TypeScript loader.

import { Server } from 'node:net';

const listen = Server.prototype.listen;

Server.prototype.listen = function (...args) {
  const [first, second] = args;
  if (typeof first === 'number' && typeof second !== 'string') return listen.call(this, first, '127.0.0.1', ...args.slice(1));
  if (typeof first === 'object' && first !== null && 'port' in first && !('host' in first)) return listen.call(this, { ...first, host: '127.0.0.1' }, ...args.slice(1));
  return listen.apply(this, args);
};
