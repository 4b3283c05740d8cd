// A second process on an SQLite store (test/sqlite.test.ts): `bun sqlite-writer.ts FILE ROOM MS`
// opens FILE (creating and migrating it if need be, as a service starting would), prints
// "open", then for MS milliseconds commits batches of a room record and ten archived messages,
// and prints how many batches it committed.
import { openSqliteStore } from "../../lib/shell/sqlite.ts";

const [path, room, ms] = process.argv.slice(2) as [string, string, string];
const store = openSqliteStore(path);
console.log("open");
let batches = 0;
for (const until = Date.now() + Number(ms); Date.now() < until; batches++) {
  store.write([{ op: "save-room", room: { jid: room, config: { persistent: true, public: true, name: `batch ${batches}` } as never, affiliations: [], salt: "s" } }]);
  for (let i = 0; i < 10; i++) {
    const n = batches * 10 + i;
    store.write([{ op: "archive", room, cap: 1_000_000, message: { id: `${room}-${n}`, at: n, stanza: `<message id="${n}"/>`, nick: "n", occupantId: "o", sender: "s", retracted: false } }]);
  }
  store.flush();
  await Bun.sleep(1); // let the other process in between
}
store.close();
console.log(batches);
