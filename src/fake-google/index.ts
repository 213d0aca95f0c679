/**
 * The fake Google upstream: a loopback HTTP server imitating every Google endpoint agw calls (OAuth, userinfo,
 * Cloud Code v1internal), with scripted faults and recorded calls. Used by tests, benchmarks and `agw demo`.
 */
export type { SignatureChecks } from './answer.ts';
export { compareVersions, reportedClientVersion } from './client-version.ts';
export type { FakeGoogleControl } from './control.ts';
export { type FakeGoogleAddress, fakeEnvironment } from './environment.ts';
export { pngSize, supportedAspectRatios } from './image.ts';
export {
  currentModelNames,
  deprecatedModelIds,
  fakeModels,
  isThinkingModel,
  knownModelNames,
  modelTable,
  retirementOf,
} from './models.ts';
export { defaultClient, type FakeGoogleOptions } from './options.ts';
export {
  defaultRules,
  defaultTriggerPhrases,
  type FakeRules,
  type FakeRulesPatch,
  unsupportedVersionText,
} from './rules.ts';
export { createFakeGoogle, type FakeGoogle, type FakeGoogleUrls } from './server.ts';
export { skipSignatureSentinel } from './signatures.ts';
export type * from './types.ts';
