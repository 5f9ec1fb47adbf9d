/**
 * The sender renders the same few templates for every email, so each is parsed once. Bounded by entries and by
 * the characters of the templates it keeps (a 500 kB template must not pin memory forever); the least recently
 * used goes first (a Map keeps insertion order, and a hit is moved to the end).
 */
export class ParsedTemplateCache<Parsed> {
  private readonly entries = new Map<string, Parsed>();
  private chars = 0;

  constructor(
    private readonly maxEntries = 500,
    private readonly maxChars = 8_000_000,
  ) {}

  get(template: string): Parsed | undefined {
    const parsed = this.entries.get(template);
    if (parsed === undefined) return undefined;
    this.entries.delete(template);
    this.entries.set(template, parsed);
    return parsed;
  }

  set(template: string, parsed: Parsed): void {
    if (template.length > this.maxChars) return;
    if (this.entries.delete(template)) this.chars -= template.length;
    this.entries.set(template, parsed);
    this.chars += template.length;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries && this.chars <= this.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= oldest.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
