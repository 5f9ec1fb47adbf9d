export {
  checkSmtpPort,
  defaultSmtpPorts,
  refusalOf,
  resolveSmtpTarget,
  SmtpTargetRefusedError,
  type CidrRange,
  type LookupAll,
  type ResolvedSmtpTarget,
  type SmtpTargetPolicy,
} from './smtp-target-policy.js';
export { smtpTargetEnv, smtpTargetPolicyFromEnv } from './smtp-target-env.js';
