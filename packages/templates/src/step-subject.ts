/**
 * The subject template a step is sent with: its own, or, for a follow-up that has none, a reply in the thread the
 * first step opened (`Re: <first subject>`, rendered for the contact like any subject). The API renders it to
 * check a sequence, the sender to send it: one rule for both.
 */
export function stepSubject(own: string | null, firstStepSubject: string | null): string {
  return own ?? `Re: ${firstStepSubject ?? ''}`;
}
