// The cheapest refusal node:http can make: every request answered at once with the 503 Treaty
// sheds with (same status, headers and body size), its body left unread (node:http discards
// it, keeping the connection). Measured beside Treaty in the overload phase, it is the floor of
// what shedding one request costs any Node gateway, and so bounds the goodput any of them can
// keep at 2× saturation on one core (bench/summary.ts, overloadBound).
// Usage: node bench/refusal-floor.ts <port>
import { createServer } from 'node:http';

const [portArg = '0'] = process.argv.slice(2);
const body = Buffer.from(JSON.stringify({ error: { message: 'Treaty is overloaded and shed this request before doing any work on it; retry shortly.', type: 'service_unavailable_error', param: null, code: 'no_deployment_available' } }));
// A flat list, as Treaty sheds with: node:http writes it without walking an object.
const headers = ['content-type', 'application/json', 'content-length', String(body.length), 'retry-after', '1', 'retry-after-ms', '1000'];

const server = createServer((_req, res) => {
  res.writeHead(503, headers);
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(Number(portArg), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 })}\n`);
});
process.once('SIGTERM', () => process.exit(0));
