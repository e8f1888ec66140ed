/**
 * A QoS 1 PUBLISH is acknowledged only once the store holds it: its copies queued for persistent
 * sessions committed, and a retained message in a batch on disk.
 *
 * aedes (lib/handlers/publish.js) writes the PUBACK first and stores and fans the message out after:
 * a broker killed in between has acknowledged a message it never stored, and the publisher, told it
 * arrived, does not send it again. Here a QoS 1 PUBLISH from a connected client runs the same steps
 * aedes does (topic checks, authorizePublish, broker.publish) and the PUBACK is written when the
 * publish has finished and `durable(packet)` has called back. The connection reads on as soon as the
 * publish has finished, as with aedes: waiting for a retained batch holds the PUBACK only, never the
 * client's next packets, and PUBACKs leave in the order their PUBLISHes came (MQTT-4.6.0-2). A
 * store that could not make the message durable gets no PUBACK: the connection is closed and the
 * client sends the message again on its next connection.
 *
 * aedes reads a client's packets through its parser's `packet` listener (lib/client.js `enqueue`);
 * it is replaced by one that hands QoS 1 PUBLISHes to this handler and everything else to aedes'.
 * Packets that come behind the CONNECT before the CONNACK is sent are held in one queue, in order,
 * and let go on `connected` (aedes holds them the same way).
 */
import type { Aedes, Client } from "aedes";

export interface PublishPacket {
  cmd: "publish";
  topic: string;
  qos: number;
  retain?: boolean;
  messageId?: number;
}

/** Calls `done` once `packet` (just published) is stored as the store promises; at once if it is. */
export type Durable = (packet: PublishPacket, done: (err?: Error) => void) => void;

const WAITING = 0;
const ACK = 1;
const SKIP = 2;
interface Owed {
  messageId: number;
  state: typeof WAITING | typeof ACK | typeof SKIP;
}

type PublishWithClient = (this: Aedes, packet: unknown, client: Client, done: (err?: Error | null) => void) => void;
type Packet = { cmd: string; qos?: number };
type Next = (err?: Error | null) => void;

/** The parts of an aedes Client this uses (lib/client.js). */
interface ParsingClient {
  broker: Aedes & { maxTopicLevels: number; queueLimit: number };
  conn: { write(chunk: Buffer): unknown };
  connackSent: boolean;
  connected: boolean;
  connecting: boolean;
  _parsingBatch: number;
  _keepaliveInterval: number;
  _keepaliveTimer: { refresh(): unknown };
  _nextBatch: Next;
  _parser: NodeJS.EventEmitter & { emit(event: "error", err: Error): boolean };
  once(event: "connected", fn: () => void): unknown;
  emit(event: "error", err: Error): boolean;
}

/**
 * Call right after `aedes.handle(conn)` has made the client (before it reads its CONNECT) and after
 * holdUntilConnected, whose `connected` listener must run before the queued packets are let go.
 */
export function ackAfterStore(client: Client, durable: Durable): void {
  const c = client as unknown as ParsingClient;
  const parser = c._parser;
  const listeners = parser.listeners("packet") as Array<(this: unknown, packet: Packet) => void>;
  if (listeners.length !== 1) throw new Error(`aedes' parser has ${listeners.length} packet listeners, expected its own one`);
  const aedesEnqueue = listeners[0]!;
  parser.removeListener("packet", aedesEnqueue);
  // The PUBACKs owed, in the order the PUBLISHes were read (they finish in any order). Plain objects
  // and callbacks, no promises: at the fleet load every message waits here for its batch (~100 ms).
  const owed: Owed[] = [];
  let head = 0;
  const release = () => {
    while (head < owed.length && owed[head]!.state !== WAITING) {
      const o = owed[head++]!;
      if (o.state === ACK) writePuback(c, o.messageId);
    }
    if (head === owed.length) {
      owed.length = 0;
      head = 0;
    } else if (head >= 1024) {
      owed.splice(0, head);
      head = 0;
    }
  };

  const dispatch = (packet: Packet) => {
    // Not connected: aedes closes the connection (MQTT-3.1.0-1).
    if (packet.cmd !== "publish" || packet.qos !== 1 || (!c.connecting && !c.connected)) {
      aedesEnqueue.call(parser, packet);
      return;
    }
    c._parsingBatch++;
    // What aedes' handle() does for every packet: a client that only publishes is alive.
    if (c._keepaliveInterval > 0) c._keepaliveTimer.refresh();
    const p = packet as PublishPacket;
    const o: Owed = { messageId: p.messageId!, state: WAITING };
    owed.push(o);
    const refuse = (err: Error) => {
      o.state = SKIP; // the connection closes: no PUBACK
      release();
      c._nextBatch(err);
    };
    const refused = checkTopic(p.topic, c.broker.maxTopicLevels);
    if (refused) return refuse(refused);
    c.broker.authorizePublish(client, p as never, (err) => {
      if (err) return refuse(err);
      // aedes' publish takes the client too (its typings leave it out).
      (c.broker.publish as unknown as PublishWithClient).call(c.broker, p, client, (err) => {
        if (err) return refuse(err);
        durable(p, (err) => {
          o.state = err ? SKIP : ACK;
          release();
          if (err) c.emit("error", new Error(`QoS 1 message not acknowledged, the store could not keep it: ${err.message}`));
        });
        c._nextBatch();
      });
    });
  };

  let queued: Packet[] | null = [];
  parser.on("packet", (packet: Packet) => {
    // aedes' own rule: the first packet (the CONNECT) goes on, the rest wait for the CONNACK.
    if (queued !== null && !c.connackSent && c._parsingBatch >= 1) {
      c._parsingBatch++;
      if (queued.length >= c.broker.queueLimit) {
        parser.emit("error", new Error("Client queue limit reached"));
        return;
      }
      queued.push(packet);
      return;
    }
    dispatch(packet);
  });
  c.once("connected", () => {
    const waiting = queued ?? [];
    queued = null;
    for (const packet of waiting) {
      c._parsingBatch--; // counted when it was queued; dispatch counts it again
      dispatch(packet);
    }
  });
}

function checkTopic(topic: string, maxLevels: number): Error | undefined {
  if (topic.length === 0) return new Error("empty topic not allowed in PUBLISH");
  if (topic.includes("#")) return new Error("# is not allowed in PUBLISH");
  if (topic.includes("+")) return new Error("+ is not allowed in PUBLISH");
  if (topic.split("/").length > maxLevels) return new Error("topic has too many levels");
  return undefined;
}

function writePuback(c: ParsingClient, messageId: number): void {
  // aedes' write(): a client gone meanwhile gets nothing (it sends the message again on reconnect).
  if (!c.connecting && !c.connected) return;
  // PUBACK: fixed header 0x40, remaining length 2, the packet identifier (MQTT-3.4).
  c.conn.write(Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]));
}
