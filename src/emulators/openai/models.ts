// GET …/models and …/models/{id}: the deployments registered for this cloud, as model objects.

import type { EmulatorEngine } from '../core/engine.js';
import type { EmulatedProvider } from '../core/types.js';

/** A fixed creation time: the emulator's models have no history worth inventing. */
const CREATED = 1715367049;

export function modelObject(id: string): Record<string, unknown> {
  return { id, object: 'model', created: CREATED, owned_by: 'treaty-emulator' };
}

export function modelList(engine: EmulatorEngine, provider: EmulatedProvider): Record<string, unknown> {
  return { object: 'list', data: engine.deploymentNames(provider).map(modelObject) };
}
