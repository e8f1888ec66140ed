/**
 * The trap receiver: SNMPv2c notifications on an unprivileged UDP port (`trapPort`; 162 needs
 * privileges, part D). A trap counts only when it carries the community and comes from one of the
 * switch's addresses; anything else is dropped and counted, never acted on. net-snmp's receiver owns
 * its socket, like the session.
 */
import type { Socket } from "node:dgram";
import snmp from "net-snmp";
import type { Logger } from "../types.js";
import { IF, PETH, TRAP } from "./oids.js";
import { Decoder, suffix, type RawVarbind } from "./codec.js";

export type SwitchTrap =
  | { kind: "link"; up: boolean; ifIndex: number }
  | { kind: "poe"; group: number; port: number; detection: number | null }
  | { kind: "other"; oid: string };

export interface TrapCounts {
  received: number;
  dropped: number;
}

/** What a v2c trap PDU means to the driver (pure). */
export function parseTrap(varbinds: readonly RawVarbind[], d = new Decoder()): SwitchTrap | null {
  const trapOid = varbinds.find((v) => v.oid === TRAP.snmpTrapOid);
  const oid = d.oid(trapOid);
  if (oid === null) return null;
  if (oid === TRAP.linkDown || oid === TRAP.linkUp) {
    // IF-MIB: linkDown/linkUp OBJECTS {ifIndex, ifAdminStatus, ifOperStatus}; the instance is the ifIndex.
    for (const v of varbinds) {
      const s = suffix(v.oid, IF.index) ?? suffix(v.oid, IF.operStatus) ?? suffix(v.oid, IF.adminStatus);
      const n = s === null ? Number.NaN : Number(s);
      if (Number.isInteger(n) && n > 0) return { kind: "link", up: oid === TRAP.linkUp, ifIndex: n };
    }
    return null;
  }
  if (oid === PETH.portOnOffNotification) {
    for (const v of varbinds) {
      const s = suffix(v.oid, PETH.detectionStatus);
      const parts = s?.split(".").map(Number);
      if (parts?.length === 2 && parts.every((p) => Number.isInteger(p) && p > 0)) return { kind: "poe", group: parts[0]!, port: parts[1]!, detection: d.int(v) };
    }
    return null;
  }
  return { kind: "other", oid };
}

export interface TrapReceiverDeps {
  port: number;
  address: string;
  community: string;
  /** Source addresses a trap may come from. */
  sources: ReadonlySet<string>;
  logger: Logger;
  onTrap(trap: SwitchTrap): void;
  /** A trap from a stranger or with the wrong community (or one that does not decode). */
  onDropped(why: string): void;
}

export class TrapReceiver {
  private receiver: { close(cb?: () => void): void; listener: { sockets: Record<string, Socket> } } | undefined;
  private readonly d = new Decoder();

  constructor(private readonly deps: TrapReceiverDeps) {}

  /** Binds the trap port; rejects with the socket's error (EADDRINUSE, EACCES) when it cannot. */
  async start(): Promise<void> {
    const { port, address, community, sources } = this.deps;
    type Receiver = { close(cb?: () => void): void; getAuthorizer(): { addCommunity(c: string): void }; listener: { sockets: Record<string, Socket> } };
    const receiver: Receiver = snmp.createReceiver({ port, address, transport: "udp4", includeAuthentication: true }, (err: Error | null, data?: { pdu: { varbinds: RawVarbind[]; community?: string }; rinfo: { address: string } }) => {
      if (err && (err as NodeJS.ErrnoException).syscall !== undefined) {
        // The socket's own error (bind); start() reports it.
        this.deps.logger.debug({ code: (err as NodeJS.ErrnoException).code }, "trap socket error");
        return;
      }
      if (err) {
        // net-snmp reports a wrong community, an undecodable datagram or a non-trap PDU as an error.
        this.deps.onDropped((err as { rinfo?: { address?: string } }).rinfo?.address ? "not a trap with our community" : "undecodable");
        return;
      }
      if (!data) return;
      if (!sources.has(data.rinfo.address)) return this.deps.onDropped(`from a stranger (${data.rinfo.address})`);
      const trap = parseTrap(data.pdu.varbinds, this.d);
      if (trap === null) return this.deps.onDropped("a notification without the objects it must carry");
      this.deps.onTrap(trap);
    });
    receiver.getAuthorizer().addCommunity(community);
    this.receiver = receiver;
    const socket = Object.values(receiver.listener.sockets)[0]!;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => {
        socket.off("listening", onListening);
        reject(err);
      };
      const onListening = () => {
        socket.off("error", onError);
        resolve();
      };
      socket.once("error", onError);
      socket.once("listening", onListening);
    }).catch((err: unknown) => {
      this.close();
      throw err;
    });
  }

  /** The port bound (the one asked for). */
  get boundPort(): number | undefined {
    const s = this.receiver ? Object.values(this.receiver.listener.sockets)[0] : undefined;
    try {
      return s?.address().port;
    } catch (err) {
      this.deps.logger.trace({ err: (err as Error).message }, "trap port asked while not bound");
      return undefined;
    }
  }

  close(): void {
    const r = this.receiver;
    this.receiver = undefined;
    if (!r) return;
    try {
      r.close();
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).name }, "trap receiver close");
    }
  }
}
