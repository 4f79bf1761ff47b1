// A consumer-group assigner that gives a fixed set of partitions to the group's first member: for readers that pick
// their own partitions (a restore, a query replica) but still want the group's committed offsets and liveness.
import type { PartitionAssigner } from 'kafkajs';
import { AssignerProtocol } from './kafkajs.ts';

export function fixedAssigner(name: string, assignment: Record<string, number[]>): PartitionAssigner {
  return () => ({
    name,
    version: 1,
    async assign({ members }) {
      return members.map((member, i) => ({
        memberId: member.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: i === 0 ? assignment : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  });
}
