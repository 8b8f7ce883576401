// The operator merge's request as the api stores it (docs/architecture.md#operator-merge), and the
// consumer's port to it: a member_merge command applies only when it matches the stored request,
// so a producer cannot merge members by putting the command on the stream itself.
export interface MergeRequest {
  mergeId: string;
  /** The member that stays. */
  into: string;
  /** The member merged away. */
  from: string;
  requestedAt: string;
  requestedBy: string;
}

export interface MergeRequestPort {
  /** The stored requests of these members merged away, by `from`. */
  requests(fromMemberIds: readonly string[]): Promise<Map<string, MergeRequest>>;
}
