#!/usr/bin/env -S node --max-semi-space-size=32
// ^ How Treaty is launched (the bin, and the npm scripts say the same): a 32 MB young
// generation. V8 sizes it by survival rate and keeps it small for a gateway whose objects
// die young, so it scavenges every few dozen requests; with room for hundreds between
// scavenges, a request costs ~11 µs less CPU (bench/ab.ts, docs/performance.md) for up to
// ~64 MB more heap. The flag only works on the command line (V8 sizes the heap at start).
// The `treaty` command: serve, emulate, demo, and config tools.

import { Command, InvalidArgumentError } from 'commander';
import { ConfigError } from '../config/schema-dsl.js';
import { DEMO_ESTATE_CLOUDS } from '../emulators/demo-estate.js';
import { runDemo } from './demo.js';
import { runEmulate } from './emulate.js';
import { printConfigDocs } from './config-docs.js';
import { contractsCheck, contractsDocs } from './contracts-cmd.js';
import { REPORT_KINDS, runReport, type ReportKind } from './report-cmd.js';
import { runSimulate, type SimulateOptions } from '../simulator/command.js';
import { POLICIES } from '../simulator/policies.js';
import { loadConfig, startGateway } from '../main.js';

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0–65535');
  return n;
};

function fail(err: unknown): never {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(`treaty: ${(err as Error).message}`);
  process.exit(2);
}

const program = new Command('treaty').description('An OpenAI-compatible gateway that keeps traffic flowing across clouds and honours the contracts.');

program
  .command('serve')
  .description('run the gateway')
  .requiredOption('-c, --config <file>', 'path to treaty.yaml')
  .option('-p, --port <port>', 'override server.port', port)
  .option('--cluster <redisUrl>', 'cluster mode: share limits, health, contract reloads and key revocations with the other replicas through this Redis (overrides cluster.redisUrl; needs a postgres:// ledger)')
  .option('--ledger <url>', 'override ledger.url, e.g. postgres://treaty@db:5432/treaty')
  .action(async (opts: { config: string; port?: number; cluster?: string; ledger?: string }) => {
    try {
      const gw = await startGateway({
        configPath: opts.config,
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.ledger !== undefined ? { ledgerUrl: opts.ledger } : {}),
        ...(opts.cluster !== undefined ? { cluster: { redisUrl: opts.cluster } } : {}),
      });
      const stop = (): void => void gw.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    } catch (err) {
      fail(err);
    }
  });

program
  .command('emulate')
  .description(`run emulated ${DEMO_ESTATE_CLOUDS} on 127.0.0.1 (the demo estate)`)
  .option('--base-port <port>', 'first port; the clouds take three in a row', port, 4101)
  .option('--estate <file>', 'describe the clouds, deployments and standing faults in YAML instead (see examples/estate.yaml)')
  .action(async (opts: { basePort: number; estate?: string }) => runEmulate(opts.basePort, opts.estate).catch(fail));

program
  .command('demo')
  .description('emulated clouds + the gateway with the example config + demo traffic')
  .option('-c, --config <file>', 'gateway config', 'examples/treaty.yaml')
  .option('--no-traffic', 'do not generate demo traffic')
  .action(async (opts: { config: string; traffic: boolean }) => runDemo(opts).catch(fail));

const contracts = program.command('contracts').description('contract tools');
contracts
  .command('check')
  .description('check a contracts file against the estate: conflicts, unreachable commitments, models left without a deployment')
  .requiredOption('-c, --config <file>', 'path to treaty.yaml (deployments and models)')
  .requiredOption('--contracts <file>', 'path to the contracts YAML')
  .option('--strict', 'warnings fail too')
  .action((opts: { config: string; contracts: string; strict?: boolean }) => {
    try {
      process.exitCode = contractsCheck(opts);
    } catch (err) {
      fail(err);
    }
  });
contracts
  .command('docs')
  .description('print the contracts reference (markdown)')
  .option('--example <file>', 'the example to embed', 'examples/contracts.yaml')
  .action((opts: { example: string }) => contractsDocs(opts.example));

program
  .command('report')
  .description(`ledger and contract reports: ${REPORT_KINDS.join(', ')}`)
  .argument('<kind>', REPORT_KINDS.join(' | '))
  .requiredOption('-c, --config <file>', 'path to treaty.yaml (ledger URL, contracts file)')
  .option('--format <format>', 'table | json | csv', 'table')
  .option('--by <dimension>', 'spend: account | deployment | model | tenant | day_account', 'account')
  .option('--days <n>', 'how far back', (v) => Number(v), 30)
  .option('--ledger <url>', 'override ledger.url')
  .action(async (kind: string, opts: { config: string; format: string; by: string; days: number; ledger?: string }) => {
    try {
      if (!(REPORT_KINDS as readonly string[]).includes(kind)) throw new Error(`unknown report "${kind}"; use one of ${REPORT_KINDS.join(', ')}`);
      if (!['table', 'json', 'csv'].includes(opts.format)) throw new Error('--format must be table, json or csv');
      process.stdout.write(await runReport(kind as ReportKind, { ...opts, format: opts.format as 'table' | 'json' | 'csv' }));
    } catch (err) {
      fail(err);
    }
  });

const atLeastOne = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1`);
  return n;
};

program
  .command('simulate')
  .description('what-if planning: the routing core over months of simulated (or replayed) traffic on a virtual clock')
  .requiredOption('-c, --config <file>', 'path to treaty.yaml (deployments, prices, pools, contracts.file)')
  .option('--traffic <file>', 'traffic profile and simulated estate (see examples/traffic.yaml, docs/simulator.md)')
  .option('--horizon <duration>', 'how long to simulate from traffic.start: 90d, 12w, 3y', '365d')
  .option('--seed <n>', 'seed of every random draw: same seed, same result', (v) => {
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('--seed must be a whole number');
    return n;
  }, 1)
  .option('--step <duration>', 'clock resolution at which arrivals are drawn', '1m')
  .option('--compare <variants>', `comma-separated policy[@contracts.yaml]; policies: ${POLICIES.join(', ')}`)
  .option('--contracts <file>', "contracts for variants without @file, instead of the config's contracts.file")
  .option('--out <dir>', 'write result.json, CSVs and SVG charts here')
  .option('--format <format>', 'table | json | csv', 'table')
  .option('--replay <ledgerUrl>', "replay the ledger's requests of --from..--to instead of a traffic profile")
  .option('--from <date>', 'replay: first day (UTC)')
  .option('--to <date>', 'replay: last day (UTC, inclusive)')
  .option('--weight <n>', 'override traffic.weight (real requests per simulated one)', atLeastOne('--weight'))
  .option('--threads <n>', 'worker threads for --compare (default: the cores available)', atLeastOne('--threads'))
  .action(async (opts: Omit<SimulateOptions, 'format'> & { format: string }) => {
    try {
      if (!['table', 'json', 'csv'].includes(opts.format)) throw new Error('--format must be table, json or csv');
      process.stdout.write(await runSimulate({ ...opts, format: opts.format as 'table' | 'json' | 'csv' }));
    } catch (err) {
      fail(err);
    }
  });

const config = program.command('config').description('config tools');
config
  .command('check')
  .description('validate a config file and exit (non-zero with file:line:col errors when invalid)')
  .requiredOption('-c, --config <file>', 'path to treaty.yaml')
  .action((opts: { config: string }) => {
    try {
      const c = loadConfig({ configPath: opts.config });
      console.log(`ok: ${c.deployments.size} deployments, ${c.models.size} models`);
    } catch (err) {
      fail(err);
    }
  });
config.command('docs').description('print the config reference (markdown)').action(() => printConfigDocs());

program.parseAsync(process.argv).catch(fail);
