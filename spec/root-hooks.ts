/** Mocha root hooks: what outlives one suite is cleaned up once every suite has run. */
import { downSharedLabs } from './lab/fixture.js';

// the runs that specs start keep no connections for later (spec/connection/keeper.spec.ts tests the keeper)
process.env.TYPEBOOK_PERSIST ??= '0';

export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(120_000);
    await downSharedLabs();
  },
};
