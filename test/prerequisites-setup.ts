import { installCommand, missingPrerequisites } from './prerequisites.js';

/** Vitest global setup: says once, before any test, which suites will be skipped and how to run them. */
export default function setup(): void {
  const missing = missingPrerequisites();
  if (missing.length === 0) return;
  const message = `${missing.join(', ')} not installed: the suites that drive ${missing.length > 1 ? 'them' : 'it'} are skipped, each by name. To run them: ${installCommand(missing)}`;
  if (process.env.CI) throw new Error(`${message}. Under CI nothing is skipped.`);
  console.warn(`\n${message}\n`);
}
