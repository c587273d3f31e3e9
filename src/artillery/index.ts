/** `umphone/artillery`: the Artillery engine's implementation (the package artillery-engine-umphone loads it). */
export { UmphoneEngine, checkConfig, workerPorts, closeWorkerPhone } from './engine.js';
export type { ArtilleryContext, ArtilleryEvents, ArtilleryHelpers, ArtilleryScenario, ArtilleryScript, UmphoneEngineConfig, EngineDeps } from './engine.js';
