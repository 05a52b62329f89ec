// `npm start`: emulated clouds, the gateway on the example config, and a trickle of demo
// traffic (with the odd injected fault) so there is something to watch.

import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { startEstate, type RunningEstate } from '../emulators/estate.js';
import { startGateway } from '../main.js';
import { DEMO_SECRETS, demoEstate } from '../emulators/demo-estate.js';

export async function runDemo(opts: { config: string; traffic: boolean }): Promise<void> {
  const estate = await startEstate(demoEstate());
  const clientKey = `sk-treaty-demo-${randomBytes(12).toString('hex')}`;
  const adminKey = `sk-treaty-admin-${randomBytes(12).toString('hex')}`;
  const env = { ...process.env, ...DEMO_SECRETS, TREATY_DEMO_KEY: clientKey, TREATY_ADMIN_KEY: adminKey };
  let gw;
  try {
    gw = await startGateway({ configPath: opts.config, env, logWrite: quietLog });
  } catch (err) {
    await estate.close();
    throw err;
  }
  const url = gw.url;
  console.log(`
Treaty demo is running.

  Emulated clouds:  ${estate.clouds.map((c) => `${c.name} ${c.url}`).join('\n                    ')}
  Gateway:          ${url}/v1        (models: ${[...gw.config.models.keys()].join(', ')})
  Dashboard:        ${gw.adminUrl ?? '(admin off)'}/        (sign in with the admin key)
  Demo key:         ${clientKey}
  Admin key:        ${adminKey}

Try it:

  curl ${url}/v1/chat/completions \\
    -H "Authorization: Bearer ${clientKey}" -H "Content-Type: application/json" \\
    -d '{"model":"frontier","messages":[{"role":"user","content":"Hello from the platform team"}]}' -i

  node --input-type=module -e '
    import OpenAI from "openai";
    const client = new OpenAI({ baseURL: "${url}/v1", apiKey: "${clientKey}" });
    const stream = await client.chat.completions.create({ model: "frontier", stream: true,
      messages: [{ role: "user", content: "Stream me an answer" }] });
    for await (const c of stream) process.stdout.write(c.choices[0]?.delta?.content ?? "");
    console.log();'

Response headers x-treaty-deployment and x-treaty-attempts say where each answer came from.
${opts.traffic ? 'Demo traffic is flowing (a few requests a second, with an injected fault now and then).' : ''}
Ctrl-C stops everything.
`);
  const stopTraffic = opts.traffic ? demoTraffic(url, clientKey, estate) : () => undefined;
  const stop = (): void => {
    stopTraffic();
    // A demo stopped with Ctrl-C should stop promptly: 2 s for the requests in progress.
    void gw.close({ graceMs: 2_000 }).then(() => estate.close()).then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/** Gateway logs go to a file-like sink in the demo so the console stays readable; warnings still show. */
function quietLog(line: string): void {
  if (line.includes('"level":"warn"') || line.includes('"level":"error"')) process.stderr.write(line);
}

function demoTraffic(url: string, key: string, estate: RunningEstate): () => void {
  let n = 0;
  const prompts = ['Summarise the quarterly commitment burn-down', 'Draft a status update for the SRE channel', 'What is a preferred share clause?', 'Explain reserved capacity'];
  const send = (body: Record<string, unknown>, path: string): void => {
    request(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } })
      .then((r) => r.body.dump())
      .catch(() => undefined);
  };
  const timer = setInterval(() => {
    n++;
    // A steady trickle, and every few seconds a burst that overflows the partner's reserved
    // (PTU) capacity, so the contracts spill the excess to the committed cloud.
    const burst = n % 6 === 0 ? 14 : 1;
    for (let i = 0; i < burst; i++) {
      const k = n * 31 + i;
      if (k % 9 === 0) send({ model: 'embed', input: prompts[k % prompts.length] }, '/v1/embeddings');
      else send({ model: k % 7 === 0 ? 'open' : 'frontier', stream: k % 2 === 0, messages: [{ role: 'user', content: prompts[k % prompts.length] }] }, '/v1/chat/completions');
    }
    // Every minute or so, a burst of server errors on the self-hosted pool shows fail-over at work.
    if (n % 120 === 60) estate.engine.setFaults('openai', 'frontier-open', [{ fault: 'server_error', count: 6 }]);
  }, 500);
  timer.unref();
  return () => clearInterval(timer);
}
