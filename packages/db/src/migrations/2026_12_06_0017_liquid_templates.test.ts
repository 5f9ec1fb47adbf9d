import { describe, expect, it } from '@jest/globals';
import { legacyToLiquid, liquidToLegacy } from './2026_12_06_0017_liquid_templates.js';

describe('legacyToLiquid', () => {
  it.each([
    ['Hi {{first_name}}', 'Hi {{ first_name }}'],
    ['Hi {{ first_name | there }}!', 'Hi {{ first_name | default: "there" }}!'],
    ['{{company|your "great" company}}', '{{ company | default: "your \\"great\\" company" }}'],
    ['{{ fields.plan | a\\b }}', '{{ fields.plan | default: "a\\\\b" }}'],
    ['no fields at all', 'no fields at all'],
    ['{{ 1abc }} and {{}}', '{{ "{" }}{ 1abc }} and {{ "{" }}{}}'],
    ['100% {% raw %}', '100% {{ "{%" }} raw %}'],
    ['{{{first_name}}}', '{{ "{" }}{{ first_name }}}'],
    ['{{%', '{{ "{" }}{{ "{%" }}'],
    ['{{ a | b}c }}', '{{ "{" }}{ a | b}c }}'],
    ['{{a|', '{{ "{" }}{a|'],
  ])('rewrites %j as %j', (legacy, liquid) => {
    expect(legacyToLiquid(legacy)).toBe(liquid);
  });

  it('undoes on the way down what it wrote on the way up', () => {
    for (const legacy of ['Hi {{first_name | there}}', '{{company|your "great" company}}', '100% {% x', '{{ 1 }}']) {
      expect(legacyToLiquid(liquidToLegacy(legacyToLiquid(legacy)))).toBe(legacyToLiquid(legacy));
    }
  });

  it('takes linear time on input written to make the old pattern backtrack', () => {
    for (const input of [
      `{{a|${' '.repeat(200_000)}`,
      '{{a|'.repeat(50_000),
      '{{'.repeat(100_000),
      '{%'.repeat(100_000),
    ]) {
      const started = performance.now();
      legacyToLiquid(input);
      expect(performance.now() - started).toBeLessThan(500); // the old pattern: 204 s for 8 000 spaces
    }
  });
});
