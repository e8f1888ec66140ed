/**
 * PUBACK only after commit, without reading one message at a time.
 *
 * MQTT.js (protocol 3.1.1) emits a QoS 1 message, calls `handleMessage`, then writes the PUBACK, and
 * reads the next packet only after that (`customHandleAcks` exists for MQTT 5 only, and delaying it
 * would stall the reading the same way). Waiting for the commit there would commit one message per
 * transaction with nothing read in between: a few hundred messages a second on a real disk. So the
 * PUBACK that MQTT.js writes is held here (its `_sendPacket`, the one place every outgoing packet
 * passes) and written when the message's batch is committed. MQTT.js reads on meanwhile; the broker
 * still counts the message unacknowledged, and redelivers it if the centre goes away first.
 *
 * PUBACKs leave in the order the PUBLISHes came (MQTT 3.1.1 §4.6), since batches commit in order. A
 * PUBACK held across a disconnect is never sent: the message id belongs to the old connection, and the
 * broker redelivers the message on the new one. Relies on MQTT.js 5's private `_sendPacket(packet, cb)`
 * (mqtt is pinned); centre/ingest/acks.test.ts fails if that changes.
 */
import type { MqttClient } from "mqtt";

interface Packet {
  cmd: string;
  messageId?: number;
}
type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: unknown, noStore?: boolean) => void;

export interface AckTicket {
  readonly messageId: number;
  readonly generation: number;
  /** The PUBACK as MQTT.js made it, once it has; undefined before. */
  packet?: Packet;
  released: boolean;
}

export class DeferredAcks {
  private generation = 0;
  private readonly waiting = new Map<number, AckTicket>();
  private readonly send: SendPacket;
  /** PUBACKs written (after commit); for tests and the health counters. */
  sent = 0;

  constructor(private readonly client: MqttClient) {
    const c = client as unknown as { _sendPacket: SendPacket };
    if (typeof c._sendPacket !== "function") throw new Error("this MQTT.js has no _sendPacket: the centre cannot hold PUBACKs until commit");
    this.send = c._sendPacket.bind(client);
    c._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if (packet.cmd === "puback" && !client.connected) {
        // MQTT.js would queue it for the next connection, where its message id means another message.
        cb?.();
        return;
      }
      const ticket = packet.cmd === "puback" && packet.messageId !== undefined ? this.waiting.get(packet.messageId) : undefined;
      if (ticket === undefined) return this.send(packet, cb, cbStorePut, noStore);
      this.waiting.delete(packet.messageId!);
      ticket.packet = packet;
      if (ticket.released) this.write(ticket);
      // MQTT.js reads the next packet once this is called: the PUBACK itself waits for the commit.
      cb?.();
    };
    client.on("close", () => {
      this.generation++;
      this.waiting.clear();
    });
  }

  /** Before MQTT.js is told to go on with message `messageId`: hold its PUBACK. */
  hold(messageId: number): AckTicket {
    const ticket: AckTicket = { messageId, generation: this.generation, released: false };
    this.waiting.set(messageId, ticket);
    return ticket;
  }

  /** True while the ticket's connection is the current one (its PUBACK can still be sent). */
  live(ticket: AckTicket): boolean {
    return ticket.generation === this.generation;
  }

  /** The message is committed: send its PUBACK (now, or as soon as MQTT.js has made it). */
  release(ticket: AckTicket): void {
    ticket.released = true;
    if (ticket.packet !== undefined) this.write(ticket);
  }

  private write(ticket: AckTicket): void {
    // A PUBACK from a connection that is gone would acknowledge whatever message the new one gave that id.
    if (!this.live(ticket) || !this.client.connected) return;
    this.sent++;
    this.send(ticket.packet!);
  }
}
