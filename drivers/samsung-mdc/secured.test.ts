import { describe, it, expect } from "vitest";
import { classifyGreeting, SECURED_GREETING } from "./secured.js";
import { hexBytes } from "../transport/fake.js";

describe("secured-protocol greeting", () => {
  it("is the ASCII banner MDCSTART<<TLS>>", () => {
    expect(SECURED_GREETING.toString("hex").toUpperCase()).toBe("4D444353544152543C3C544C533E3E");
    expect(classifyGreeting(SECURED_GREETING)).toBe("secured");
  });

  it("waits for enough of the banner, then decides", () => {
    expect(classifyGreeting(Buffer.from("MDC"))).toBe("undecided");
    expect(classifyGreeting(Buffer.from("MDCSTART"))).toBe("secured");
    expect(classifyGreeting(Buffer.from("MDX"))).toBe("other");
  });

  it("a TLS record header counts too; plain MDC starts with AA; other bytes are junk", () => {
    expect(classifyGreeting(hexBytes("16 03 01 00 5A"))).toBe("secured");
    expect(classifyGreeting(hexBytes("16"))).toBe("undecided");
    expect(classifyGreeting(hexBytes("AA FF 01 03 41 11 01 56"))).toBe("mdc");
    expect(classifyGreeting(hexBytes("13 37"))).toBe("other");
    expect(classifyGreeting(Buffer.alloc(0))).toBe("undecided");
  });
});
