import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Vitest runs one file at a time per CPU but one; on 2 cores that is one worker, and the integration
    // tests mostly wait on the real components: `npm test` used 1.07 cores and took 16.8 min. Two workers
    // there: 10.3 min, same results. The fault suite is one file, so this changes nothing for it.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Releases while gitcanary processes are killed and the components fail: `npm run test:faults`
        // (CI runs it after `npm test`). It starts components of its own, since it kills them.
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
