/**
 * Polls `check` every 5 ms until it holds, or until `stop()` says the wait is moot. A check that
 * throws counts as "not yet". No fixed wait is assumed: the test's own timeout bounds the polling.
 */
export async function until(check: () => boolean | Promise<boolean>, stop: () => boolean = () => false): Promise<void> {
  const holds = async () => {
    try {
      return await check();
    } catch {
      return false;
    }
  };
  while (!stop() && !(await holds())) await new Promise((resolve) => setTimeout(resolve, 5));
}
