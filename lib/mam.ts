// XEP-0313 Message Archive Management (urn:xmpp:mam:2) on a room: the query
// form, queries (start, end, with; XEP-0059 paging both ways: max, after,
// before, an empty <before/> for the last page), urn:xmpp:mam:2#extended
// (before-id, after-id, ids, <metadata/>), who may ask, and retention.
// The archive lives in storage: a query leaves as a read ({op: "archive-query"})
// and the rows come back as an input, which archiveRead turns into the
// <result/> messages and the <fin/>, from the room's bare JID.
import { canonicalBare } from "./jid.ts";
import type { Context } from "./context.ts";
import { parseDateTime, stamp } from "./history.ts";
import { nickKey } from "./nick.ts";
import { archiveRefusal } from "./permissions.ts";
import { bareOf, type Room } from "./room.ts";
import type { Answered, ArchivedMessage, ArchiveQuery, Read, Write } from "./storage.ts";
import { errorReply, iqResult, NS, parseXml, xml, type Element } from "./stanza.ts";

/** May the sender of `stanza` read this room's archive? Outcasts never; in members-only rooms, the affiliated. */
function refusal(room: Room, stanza: Element, ctx: Context): Element[] | undefined {
  if (!room.config.archiving) return errorReply(stanza, "service-unavailable", "This room does not archive its messages");
  const refused = archiveRefusal(room, bareOf(stanza.attrs.from as string), ctx);
  return refused && errorReply(stanza, refused.condition, refused.text);
}

function formField(v: string, type: string, label?: string): Element {
  return xml("field", { var: v, type, ...(label ? { label } : {}) });
}

/** §4.1.1 the query form: which fields a query may use. */
function queryForm(): Element {
  return xml(
    "x",
    { xmlns: NS.data, type: "form" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS.mam)),
    formField("with", "jid-single"),
    formField("start", "text-single"),
    formField("end", "text-single"),
    formField("before-id", "text-single"),
    formField("after-id", "text-single"),
    formField("ids", "list-multi"),
  );
}

type Parsed = { ok: true; query: ArchiveQuery; max: number } | { ok: false; text: string };

/** The query an IQ set describes, or why it is malformed. */
export function parseQuery(room: Room, query: Element, ctx: Context): Parsed {
  const q: ArchiveQuery = { room: room.jid, limit: 0, backwards: false };
  const form = query.getChild("x", NS.data);
  for (const field of form?.getChildren("field") ?? []) {
    const values = field.getChildren("value").map((v) => v.getText());
    const value = values[0] ?? "";
    switch (field.attrs.var) {
      case "FORM_TYPE":
        if (value !== NS.mam) return { ok: false, text: `FORM_TYPE must be ${NS.mam}` };
        break;
      case "start":
      case "end": {
        const at = parseDateTime(value);
        if (at === undefined) return { ok: false, text: `${field.attrs.var} must be a XEP-0082 date and time` };
        q[field.attrs.var as "start" | "end"] = at;
        break;
      }
      case "with": {
        // In a room, messages are "with" an occupant JID: room@service/nick.
        const slash = value.indexOf("/");
        if (value === "" || (slash !== -1 && canonicalBare(value.slice(0, slash)) !== room.jid)) return { ok: false, text: "with must be an occupant JID of this room" };
        if (slash !== -1) {
          const key = nickKey(value.slice(slash + 1));
          if (key === undefined) return { ok: false, text: "with must be an occupant JID of this room" };
          q.nick = key;
        } else if (canonicalBare(value) !== room.jid) return { ok: false, text: "with must be an occupant JID of this room" };
        break;
      }
      case "before-id": q.beforeId = value; break;
      case "after-id": q.afterId = value; break;
      case "ids": q.ids = values.slice(0, ctx.config.archiveMaxPageSize); break;
      default:
        // XEP-0313 §4.1.2: an unknown field is an error, not silently widened results.
        return { ok: false, text: `Unsupported field ${field.attrs.var}` };
    }
  }
  const set = query.getChild("set", NS.rsm);
  let max = ctx.config.archivePageSize;
  const maxText = set?.getChildText("max");
  if (maxText !== null && maxText !== undefined) {
    const n = Number(maxText.trim());
    if (!/^\s*\d+\s*$/.test(maxText) || !Number.isSafeInteger(n)) return { ok: false, text: "max must be a whole number" };
    max = n;
  }
  max = Math.min(max, ctx.config.archiveMaxPageSize);
  const after = set?.getChild("after");
  const before = set?.getChild("before");
  if (after) q.after = after.getText();
  if (before) {
    q.before = before.getText();
    q.backwards = true;
  }
  if (q.after === "") return { ok: false, text: "after needs an id" };
  q.limit = max + 1; // one more than asked tells whether the page is the last
  return { ok: true, query: q, max };
}

/** An IQ to the room in the urn:xmpp:mam:2 namespace: the form, the metadata, or a query. */
export function archiveRequest(room: Room, iq: Element, ctx: Context): [Element[], Read[]] {
  const refused = refusal(room, iq, ctx);
  if (refused) return [refused, []];
  const payload = iq.getChildElements()[0]!;
  const get = iq.attrs.type === "get";
  if (payload.name === "metadata") return get ? [[], [{ op: "archive-metadata", room: room.jid, stanza: iq }]] : [errorReply(iq, "bad-request", "Ask for metadata with a get"), []];
  if (get) return [[iqResult(iq, xml("query", { xmlns: NS.mam }, queryForm()))], []];
  const parsed = parseQuery(room, payload, ctx);
  if (!parsed.ok) return [errorReply(iq, "bad-request", parsed.text), []];
  return [[], [{ op: "archive-query", query: parsed.query, stanza: iq }]];
}

/** A stored message as a MAM result to `to`: forwarded, with its delay, from the room. */
function resultMessage(roomJid: string, to: string, queryid: string | undefined, row: ArchivedMessage): Element {
  const message = parseXml(row.stanza);
  delete message.attrs.to;
  return xml(
    "message",
    { from: roomJid, to },
    xml(
      "result",
      { xmlns: NS.mam, ...(queryid !== undefined ? { queryid } : {}), id: row.id },
      xml("forwarded", { xmlns: NS.forward }, xml("delay", { xmlns: NS.delay, stamp: stamp(row.at) }), message),
    ),
  );
}

/** The answer to an archive read: results and <fin/>, or the metadata. */
export function archiveRead(room: Room | undefined, input: Extract<Answered, { read: { op: "archive-query" | "archive-metadata" } }>, _ctx: Context): Element[] {
  const iq = input.read.stanza;
  if (!room) return errorReply(iq, "item-not-found", "No such room");
  if (input.read.op === "archive-metadata") {
    const { first, last } = input.result as { first?: ArchivedMessage; last?: ArchivedMessage };
    const children = first && last ? [xml("start", { id: first.id, timestamp: stamp(first.at) }), xml("end", { id: last.id, timestamp: stamp(last.at) })] : [];
    return [iqResult(iq, xml("metadata", { xmlns: NS.mam }, ...children))];
  }
  const read = input.read as Extract<Read, { op: "archive-query" }>;
  const page = input.result as Extract<Answered, { read: { op: "archive-query" } }>["result"];
  if (page.unknownId) return errorReply(iq, "item-not-found", "No message in this archive has that id");
  const max = read.query.limit - 1;
  let rows = page.rows;
  let complete = rows.length <= max;
  if (read.query.ids) complete = true;
  else if (!complete) rows = read.query.backwards ? rows.slice(rows.length - max) : rows.slice(0, max);
  const queryid = iq.getChild("query", NS.mam)?.attrs.queryid as string | undefined;
  const to = iq.attrs.from as string;
  const out = rows.map((row) => resultMessage(room.jid, to, queryid, row));
  const set = xml("set", { xmlns: NS.rsm });
  if (rows.length > 0) set.append(xml("first", {}, rows[0]!.id), xml("last", {}, rows[rows.length - 1]!.id));
  set.append(xml("count", {}, String(page.count)));
  out.push(iqResult(iq, xml("fin", { xmlns: NS.mam, ...(complete ? { complete: "true" } : {}) }, set)));
  return out;
}

/** Retention: what the shell's periodic tick deletes. */
export function expiry(ctx: Context): Write[] {
  if (!(ctx.config.archiveExpiryDays > 0)) return [];
  return [{ op: "expire", before: ctx.now - ctx.config.archiveExpiryDays * 86_400_000 }];
}
