import { describe, expect, it } from "vitest";
import { attr, child, esc, parseXml, resolveQName, XmlError } from "./xml.js";

describe("parseXml", () => {
  it("resolves prefixed and default namespaces, attributes, entities and CDATA", () => {
    const root = parseXml(
      `<?xml version="1.0" encoding="UTF-8"?>\n<!-- a camera -->\n` +
        `<s:Envelope xmlns:s="urn:env" xmlns="urn:default"><s:Body>` +
        `<Op a="1 &amp; 2" s:flag='yes'><Name>A &lt;b&gt; &#233;&#x41;</Name><Raw><![CDATA[<not a tag>]]></Raw></Op>` +
        `</s:Body></s:Envelope>`,
    );
    expect(root).toMatchObject({ name: "s:Envelope", local: "Envelope", ns: "urn:env" });
    const op = child(child(root, "Body", "urn:env"), "Op", "urn:default")!;
    expect(op.ns).toBe("urn:default");
    expect(op.attrs.get("a")).toBe("1 & 2");
    expect(attr(op, "flag")).toBe("yes");
    expect(child(op, "Name")!.text).toBe("A <b> éA");
    expect(child(op, "Raw")!.text).toBe("<not a tag>");
  });

  it("resolves a QName in text against the element's scope", () => {
    const root = parseXml(`<P xmlns:dn="urn:dn"><Types>dn:NVT</Types></P>`);
    expect(resolveQName(child(root, "Types")!, "dn:NVT")).toEqual({ ns: "urn:dn", local: "NVT" });
    expect(resolveQName(child(root, "Types")!, "zz:NVT")).toEqual({ ns: undefined, local: "NVT" });
  });

  it.each([
    ["<a><b></a>", /end tag <\/a> does not match <b>/],
    ["<a>", /<a> is not closed/],
    ["<!DOCTYPE x [<!ENTITY e 'boom'>]><a>&e;</a>", /DOCTYPE/],
    ["<a>&e;</a>", /unknown entity &e;/],
    ["<a>x & y</a>", /bare &/],
    ["<p:a/>", /undeclared namespace prefix "p"/],
    ["<a/><b/>", /a second root element/],
    ["text<a/>", /text outside the root/],
    ['<a x="1" x="2"/>', /duplicate attribute x/],
    ["<a x=1/>", /not quoted/],
    ["", /no root element/],
    ["<a><![CDATA[open</a>", /unterminated CDATA/],
  ])("refuses %j", (xml, message) => {
    expect(() => parseXml(xml)).toThrow(XmlError);
    expect(() => parseXml(xml)).toThrow(message);
  });

  it("escapes the five XML specials", () => {
    expect(esc(`<a b="c" d='e'>&`)).toBe("&lt;a b=&quot;c&quot; d=&apos;e&apos;&gt;&amp;");
  });
});
