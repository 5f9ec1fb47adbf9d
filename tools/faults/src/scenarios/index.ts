import type { Scenario } from '../scenario-kit.js';
import { senderKill9 } from './sender-kill-9.js';
import { senderCrashAfter250 } from './sender-crash-after-250.js';
import { producerCrashAfterClaimAndPublish } from './producer-crash-after-claim-and-publish.js';
import { redeliverEverything } from './redeliver-everything.js';
import { smtpFaults } from './smtp-faults.js';
import { malformedMessages } from './malformed-messages.js';
import { postgresOutage } from './postgres-outage.js';
import { brokerLoss } from './broker-loss.js';
import { rebalanceStorm } from './rebalance-storm.js';
import { groupResetToEarliest } from './group-reset-to-earliest.js';
import { replicasAndDayRollover } from './replicas-and-day-rollover.js';
import { clockSkew } from './clock-skew.js';
import { leaderKill3Nodes } from './leader-kill-3-nodes.js';
import { brokerPaused } from './broker-paused.js';
import { brokerKill9Restart } from './broker-kill-9-restart.js';
import { registryDown } from './registry-down.js';
import { smtpTarpit } from './smtp-tarpit.js';
import { backlogSenderKill9 } from './backlog-sender-kill-9.js';

/** Every fault scenario, in the order a full run takes them; each lives in its own file beside this one. */
export const scenarios: Scenario[] = [
  senderKill9,
  senderCrashAfter250,
  producerCrashAfterClaimAndPublish,
  redeliverEverything,
  smtpFaults,
  malformedMessages,
  postgresOutage,
  brokerLoss,
  rebalanceStorm,
  groupResetToEarliest,
  replicasAndDayRollover,
  clockSkew,
  leaderKill3Nodes,
  brokerPaused,
  brokerKill9Restart,
  registryDown,
  smtpTarpit,
  backlogSenderKill9,
];
