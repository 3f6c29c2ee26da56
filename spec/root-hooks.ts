/** Mocha root hooks: what outlives one suite is cleaned up once every suite has run. */
import { downSharedLabs } from './lab/fixture.js';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    await downSharedLabs();
  },
};
