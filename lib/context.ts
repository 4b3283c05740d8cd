// What the shell hands every reducer besides the state and the stanza:
// the service's settings, the time, and a fresh id prefix. Reducers read the
// clock and make ids only through this, so the same inputs give the same outputs.

export type RateExempt = "none" | "member" | "admin" | "owner";

export interface ServiceConfig {
  /** The component's domain, e.g. muc.example.org. */
  domain: string;
  /** Bare JIDs of service administrators (owners of every room). */
  admins: readonly string[];
  /** Lock new rooms until their owner configures them (XEP-0045 §10.1.1). Off by default. */
  lockRooms: boolean;
  /** Messages kept per room for history on join, unless the room says otherwise. */
  historyLength: number;
  /** The most history messages a room may be configured to keep. */
  maxHistoryLength: number;
  /** Longest nickname, in code points. */
  maxNickLength: number;
  /** Most occupants per room (0 = no limit); admins and owners may still enter a full room. */
  maxOccupants: number;
  /** Most rooms in memory at once (with occupants, or idle in the cache); creating one more is refused. */
  maxRooms: number;
  /** Most rooms one account (bare JID) may be an occupant of at once. */
  maxRoomsPerUser: number;
  /** Rooms one account may create per minute (a token bucket: this many at once, refilled over a minute). */
  roomCreationsPerMinute: number;
  /**
   * Token buckets per occupant and room (lib/limits.ts): `…Burst` stanzas at once,
   * refilled at `…PerMinute`. Over the limit a stanza is bounced (policy-violation, type wait).
   */
  groupchatBurst: number;
  groupchatPerMinute: number;
  privateBurst: number;
  privatePerMinute: number;
  presenceBurst: number;
  presencePerMinute: number;
  nickChangeBurst: number;
  nickChangesPerMinute: number;
  /** Occupants of at least this affiliation (service admins count as owners) are not rate-limited; "none": nobody is exempt. */
  rateExempt: RateExempt;
  /** Longest stanza the service accepts from a client, in characters of XML. */
  maxStanzaChars: number;
  /** Name of the service in disco#info. */
  name: string;
  /** Secret key for forwarded IQ ids (iq-forward.ts); the shell makes a random one per boot. */
  forwardKey: string;
  /** Empty persistent rooms kept in memory (the rest are read from storage when addressed). */
  roomCacheSize: number;
  /** Stanzas held for one room while it is read from storage; more get resource-constraint. */
  maxWaitingStanzas: number;
  /** Rooms being read from storage at once; a stanza for one more gets resource-constraint. */
  maxLoadingRooms: number;
  /** MAM (XEP-0313) page size when a query names none, and the most a query may ask for. */
  archivePageSize: number;
  archiveMaxPageSize: number;
  /** Archived messages kept per room (the oldest go first). */
  archiveMaxMessages: number;
  /** Archived messages older than this many days are deleted (0: kept until the per-room cap). */
  archiveExpiryDays: number;
  /** Rooms listed per disco#items page of the service (XEP-0059 paging beyond it). */
  directoryPageSize: number;
  /** Largest room avatar (vCard) an owner may set, in characters of XML. */
  maxVcardChars: number;
  /** Let someone with no affiliation register a nick (§7.10), becoming a member (Prosody: off). */
  openRegistration: boolean;
  /** How a mediated invitation names the inviter (§7.8.2): by real JID, or by occupant JID in semi-anonymous rooms. */
  inviteFrom: "real" | "occupant";
  /** Sessions checked per tick (a second) after a restart or a reconnect (verify.ts). */
  verifyBatch: number;
  /** Seconds a check may go unanswered before its session counts as gone. */
  verifyTimeout: number;
  /**
   * This process is one of several serving the domain behind ejabberd (README, "Running several
   * processes"): storage is the truth, rooms in memory are forgotten when the connection comes
   * back, and service-wide commands reach rooms through the server (cluster.ts).
   */
  cluster: boolean;
}

export const defaultConfig: ServiceConfig = {
  domain: "muc.localhost",
  admins: [],
  lockRooms: false,
  historyLength: 20,
  maxHistoryLength: 100,
  maxNickLength: 64,
  maxOccupants: 200,
  maxRooms: 10_000,
  maxRoomsPerUser: 100,
  roomCreationsPerMinute: 10,
  groupchatBurst: 10,
  groupchatPerMinute: 60,
  privateBurst: 10,
  privatePerMinute: 60,
  presenceBurst: 10,
  presencePerMinute: 6,
  nickChangeBurst: 3,
  nickChangesPerMinute: 2,
  rateExempt: "none",
  maxStanzaChars: 100_000,
  name: "Chatrooms",
  forwardKey: "",
  roomCacheSize: 100,
  maxWaitingStanzas: 100,
  maxLoadingRooms: 1000,
  archivePageSize: 20,
  archiveMaxPageSize: 50,
  archiveMaxMessages: 100_000,
  archiveExpiryDays: 365,
  directoryPageSize: 100,
  maxVcardChars: 64 * 1024,
  openRegistration: false,
  inviteFrom: "real",
  verifyBatch: 50,
  verifyTimeout: 60,
  cluster: false,
};

export interface Context {
  config: ServiceConfig;
  /** Milliseconds since the epoch, read by the shell when the input arrived. */
  now: number;
  /** Unique per input, across restarts too; reducers derive ids from it (stanza-ids, salts). */
  nonce: string;
}
