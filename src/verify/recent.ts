/**
 * The account and number of the verifications this process sent last, by id: a check of one of
 * them needs no read before its counting UPDATE (the number is what the abuse screen of a check
 * is told, and neither it nor the account ever changes on a verification). A check of any other
 * (sent by another instance, or before a restart, or long ago) reads the row as before.
 */
export class RecentVerifications {
  private readonly byId = new Map<string, { accountId: string; to: string }>();

  /** `max`: entries kept; the oldest is forgotten first. */
  constructor(private readonly max = 10_000) {}

  remember(v: { id: string; account_id: string; to_number: string }): void {
    if (this.byId.has(v.id)) return;
    if (this.byId.size >= this.max) this.byId.delete(this.byId.keys().next().value!);
    this.byId.set(v.id, { accountId: v.account_id, to: v.to_number });
  }

  /** The E.164 number of verification `id` if this process sent it for `accountId`. */
  numberOf(accountId: string, id: string): string | undefined {
    const hit = this.byId.get(id);
    return hit?.accountId === accountId ? hit.to : undefined;
  }
}
