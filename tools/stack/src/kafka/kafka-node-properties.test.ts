import { describe, expect, it } from '@jest/globals';
import { kafkaNodeProperties, newClusterId, type KafkaNodeSpec } from './kafka-node-properties.js';

const node = (id: number): KafkaNodeSpec => ({
  id,
  port: 9000 + id,
  controllerPort: 9100 + id,
  dataDir: `/tmp/n${id}`,
});
const parse = (text: string) =>
  Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

describe('kafkaNodeProperties', () => {
  it('makes one combined node its own single voter, with replication 1', () => {
    const settings = parse(kafkaNodeProperties(node(1), [node(1)]));
    expect(settings).toMatchObject({
      'process.roles': 'broker,controller',
      'node.id': '1',
      'controller.quorum.voters': '1@127.0.0.1:9101',
      listeners: 'PLAINTEXT://127.0.0.1:9001,CONTROLLER://127.0.0.1:9101',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:9001',
      'log.dirs': '/tmp/n1',
      'default.replication.factor': '1',
      'min.insync.replicas': '1',
      'offsets.topic.replication.factor': '1',
    });
  });

  it('replicates every topic three times and needs two in-sync replicas on a 3-node cluster', () => {
    const nodes = [node(1), node(2), node(3)];
    const settings = parse(kafkaNodeProperties(nodes[1]!, nodes));
    expect(settings).toMatchObject({
      'node.id': '2',
      'controller.quorum.voters': '1@127.0.0.1:9101,2@127.0.0.1:9102,3@127.0.0.1:9103',
      'advertised.listeners': 'PLAINTEXT://127.0.0.1:9002',
      'default.replication.factor': '3',
      'min.insync.replicas': '2',
      'offsets.topic.replication.factor': '3',
      'transaction.state.log.replication.factor': '3',
      'transaction.state.log.min.isr': '2',
    });
  });

  it('changes only the documented test-friendly defaults, never creates topics on use, and lets callers add', () => {
    const settings = parse(kafkaNodeProperties(node(1), [node(1)], { 'log.segment.bytes': '1048576' }));
    expect(settings['group.initial.rebalance.delay.ms']).toBe('0');
    expect(settings['auto.create.topics.enable']).toBe('false');
    expect(settings['log.segment.bytes']).toBe('1048576');
    // Durability settings stay Kafka's own.
    expect(settings).not.toHaveProperty('log.flush.interval.messages');
    expect(settings).not.toHaveProperty('unclean.leader.election.enable');
  });
});

describe('newClusterId', () => {
  it('is 16 bytes in base64url and never starts with "-" (the format tool would read it as an option)', () => {
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x01)];
    expect(Buffer.alloc(16, 0xfb).toString('base64url').startsWith('-')).toBe(true);
    const id = newClusterId(() => draws.shift()!);
    expect(id).toBe(Buffer.alloc(16, 0x01).toString('base64url'));
    expect(id).toHaveLength(22);
  });
});
