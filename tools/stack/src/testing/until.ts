/**
 * Resolves once `condition` holds, checked every 10 ms; fails after `timeoutMs`. For state a test cannot await
 * an event for, such as a server's count of its own sockets after the client's side closed.
 */
export async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition();) {
    if (Date.now() > deadline) throw new Error(`the condition did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
