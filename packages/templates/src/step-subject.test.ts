import { describe, expect, it } from '@jest/globals';
import { stepSubject } from './step-subject.js';

describe('stepSubject', () => {
  it("keeps a step's own subject, and answers in the first step's thread without one", () => {
    expect(stepSubject('A new topic', 'Quick question, {{ first_name }}')).toBe('A new topic');
    expect(stepSubject(null, 'Quick question, {{ first_name }}')).toBe('Re: Quick question, {{ first_name }}');
  });
});
