/** Property tests (issue 9, item 5): WS-Discovery replies and SOAP answers of any shape never throw. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseProbeReply } from "./probe.js";
import { interpret } from "./soap.js";

const xmlish = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>',
    "<a><b></a>",
    "<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;&a;</x>",
    "",
  ).chain((base) => fc.tuple(fc.nat({ max: base.length }), fc.string({ maxLength: 20 })).map(([at, ins]) => base.slice(0, at) + ins + base.slice(at))),
);

describe("ONVIF parsing properties", () => {
  it("parseProbeReply never throws and says what it got", () => {
    fc.assert(
      fc.property(xmlish, (text) => {
        const r = parseProbeReply(Buffer.from(text));
        expect(["matches", "other", "malformed"]).toContain(r.kind);
      }),
    );
  });

  it("interpret: a response or a coded error for any status and body", () => {
    fc.assert(
      fc.property(fc.constantFrom(200, 400, 401, 500, 503), xmlish, (status, text) => {
        try {
          interpret("GetStatus", status, text);
        } catch (err) {
          expect((err as { code?: unknown }).code).toBeTypeOf("string");
        }
      }),
    );
  });
});
