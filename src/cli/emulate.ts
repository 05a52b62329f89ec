// `treaty emulate`: the demo estate's clouds, standing alone for local development.

import { startEstate } from '../emulators/estate.js';
import { loadEstateFile } from '../emulators/estate-file.js';
import { DEMO_SECRETS, demoEstate } from '../emulators/demo-estate.js';

export async function runEmulate(basePort: number, estateFile?: string): Promise<void> {
  const estate = await startEstate(estateFile ? loadEstateFile(estateFile) : demoEstate(basePort));
  for (const c of estate.clouds) console.log(`${c.provider.padEnd(8)} ${c.name.padEnd(16)} ${c.url}`);
  console.log(`\ncredentials: ${Object.keys(DEMO_SECRETS).join(', ')} (see src/emulators/demo-estate.ts)`);
  console.log('faults: header x-emulator-fault, or PUT <cloud>/_emulator/deployments/<name>/faults; attempt log: GET <cloud>/_emulator/attempts');
  const stop = (): void => void estate.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
