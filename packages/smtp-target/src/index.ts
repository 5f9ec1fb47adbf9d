export {
  defaultSmtpPorts,
  imapTargetPolicy,
  resolveSmtpTarget,
  SmtpTargetRefusedError,
  /** @public named by the services' inferred env types */
  type CidrRange,
  type SmtpTargetPolicy,
} from './smtp-target-policy.js';
export { smtpTargetEnv, smtpTargetPolicyFromEnv } from './smtp-target-env.js';
