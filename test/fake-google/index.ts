/**
 * Re-export of the fake Google upstream for other test suites: `import { createFakeGoogle } from '../fake-google/index.ts'`.
 */
export * from '../../src/fake-google/index.ts';
