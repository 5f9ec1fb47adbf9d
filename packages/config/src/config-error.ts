export interface ConfigIssue {
  /** The environment variable at fault. */
  variable: string;
  message: string;
}

/** Start-up configuration is invalid; the message names every variable at fault and never echoes values. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.message}`).join('\n')}`);
    this.issues = issues;
  }
}
