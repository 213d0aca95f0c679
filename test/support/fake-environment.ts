/** The environment that points agw at a fake Google; the builder lives in src/ because `agw demo` uses it too. */
export { type FakeGoogleAddress, fakeEnvironment } from '../../src/fake-google/environment.ts';
